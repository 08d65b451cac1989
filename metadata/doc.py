"""A metadata document during merging: its data, where each part came from, and who changed what."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .yamlsource import line_of


def readable_path(data: Any, raw_path: tuple) -> tuple:
    """Replace list indexes by the item's `name` or `code`, so paths read `fields.id_no.pattern`."""
    out, node = [], data
    for key in raw_path:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            item = node[key]
            label = item.get("name", item.get("code")) if isinstance(item, dict) else None
            out.append(str(label) if label is not None else key)
            node = item
        else:
            out.append(key)
            node = node.get(key) if isinstance(node, dict) else None
    return tuple(out)


def readable_lines(data: Any, lines: dict) -> dict:
    return {readable_path(data, p): n for p, n in lines.items()}


@dataclass
class Doc:
    kind: str
    name: str
    pack: str
    file: str
    data: dict
    locs: dict = field(default_factory=dict)      # readable path -> (file, line)
    touched: dict = field(default_factory=dict)   # readable path -> pack that set it by overlay
    lines: dict = field(default_factory=dict)     # raw path -> line, of the file that defines it

    @classmethod
    def from_file(cls, kind, name, pack, file, data, lines) -> "Doc":
        locs = {p: (file, n) for p, n in readable_lines(data, lines).items()}
        return cls(kind, name, pack, file, data, locs, lines=lines)

    def add_locs(self, file: str, lines: dict, data: Any, prefix: tuple, target: tuple) -> None:
        """Map the overlay's lines under `prefix` onto this doc's path `target`."""
        for path, n in readable_lines(data, lines).items():
            if path[:len(prefix)] == prefix:
                self.locs[target + path[len(prefix):]] = (file, n)

    def where(self, path: tuple) -> tuple[str, int | None]:
        path = tuple(path)
        while path:
            if path in self.locs:
                return self.locs[path]
            path = path[:-1]
        return self.locs.get((), (self.file, None))

    def problem(self, path: tuple, message: str) -> Problem:
        file, line = self.where(path)
        return Problem(file, line, ".".join(str(p) for p in path), message)


def problem_at(file: str, lines: dict, data: Any, raw_path: tuple, message: str) -> Problem:
    return Problem(file, line_of(lines, raw_path), ".".join(str(p) for p in readable_path(data, raw_path)),
                   message)
