"""Static checks of formulas found in metadata: names, functions, fields of tables and links."""
from __future__ import annotations

import re

from core.formula import FormulaError, check_formula, compile_formula

LOOKUP_ARG = re.compile(r"""\bLOOKUP\(\s*["']([A-Za-z0-9_]+)["']""")


def formula_problems(text: str, names: dict[str, dict | None], functions, codelists: set[str],
                     removed: set[str] = frozenset()) -> list[str]:
    """Messages for one formula. `names` maps each allowed name to the field names reachable
    through it with a dot (a table's columns, a link's or parent's fields), or None."""
    messages = list(check_formula(text, names=set(names), functions=functions))
    for i, msg in enumerate(messages):
        for gone in removed:
            if f"'{gone}'" in msg:
                messages[i] = f"{msg} (the field '{gone}' was removed by an overlay)"
    if messages:
        return messages
    try:
        formula = compile_formula(text)
    except FormulaError as e:  # pragma: no cover - check_formula already reported it
        return [str(e)]
    for name, attr in sorted(formula.attributes):
        reachable = names.get(name)
        if reachable is None:
            messages.append(f"'{name}' has no fields to reach with '.{attr}'")
        elif attr not in reachable:
            messages.append(f"'{name}' has no field '{attr}'")
    for codelist in LOOKUP_ARG.findall(text):
        if codelist not in codelists:
            messages.append(f"LOOKUP: no code list '{codelist}'")
    return messages


def dependencies(text: str) -> set[str]:
    try:
        return set(compile_formula(text).names)
    except FormulaError:
        return set()
