"""Read YAML/JSON text into plain Python data plus a map from key path to line number."""
from __future__ import annotations

import re

import yaml
from yaml.constructor import SafeConstructor

Path = tuple  # a key path: ("fields", 3, "pattern")


class Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. (In YAML 1.1 `no`, `on`, `y` are booleans, which would
    turn a field called `no` into False.)"""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class FastLoader(CParser, SafeConstructor, yaml.resolver.Resolver):
        """The same rules on libyaml's parser: 5× faster on the standard pack's region list."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    FastLoader.yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
else:  # pragma: no cover - PyYAML built without libyaml
    FastLoader = Loader


class SourceError(Exception):
    def __init__(self, line: int | None, message: str):
        self.line, self.message = line, message
        super().__init__(message)


def load_yaml(text: str) -> tuple[object, dict[Path, int]]:
    """Return (data, lines) where lines maps every key path to its 1-based line."""
    try:
        node = yaml.compose(text, Loader=FastLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise SourceError(mark.line + 1 if mark else None, f"YAML syntax: {e.problem or e}") from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    constructor = SafeConstructor()
    return _build(node, (), lines, constructor), lines


def _build(node, path: Path, lines: dict, constructor):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise SourceError(key_node.start_mark.line + 1, "a key must be a plain value")
            if key in out:
                raise SourceError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, path + (key,), lines, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, constructor) for i, item in enumerate(node.value)]
    value = constructor.construct_object(node, deep=True)
    # Dates in YAML stay strings: the field type decides how to read them.
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value
    if isinstance(value, float):  # exact decimals: never floats in metadata
        from decimal import Decimal
        return Decimal(node.value.replace("_", ""))
    return value


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
