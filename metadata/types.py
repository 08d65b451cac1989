"""The field types the language knows, with how each is stored. Behaviour lives in core/fieldtypes."""
from __future__ import annotations

# type name -> storage kind ('json' values are not indexable)
BUILTIN_STORAGE: dict[str, str] = {
    "text": "text", "long_text": "text", "integer": "integer", "decimal": "decimal",
    "money": "decimal", "percent": "decimal", "date": "date", "datetime": "datetime",
    "boolean": "boolean", "choice": "text", "multichoice": "json", "link": "integer",
    "table": "json", "attachment": "json", "computed": "decimal", "rollup": "decimal", "user": "integer",
    "department": "text", "id_number": "text", "uscc": "text", "phone": "text",
    "email": "text", "region": "text", "industry": "text",
}

TEXT_TYPES = {"text", "long_text", "id_number", "uscc", "phone", "email"}
NUMBER_TYPES = {"integer", "decimal", "money", "percent"}
CHOICE_TYPES = {"choice", "multichoice", "department", "region", "industry"}
# choice-like types whose code list is implied by the type
IMPLIED_CODELIST = {"department": "department", "region": "region", "industry": "industry"}
COMPUTED_RESULTS = {"text", "integer", "decimal", "money", "percent", "date", "boolean"}

# which optional properties make sense for which types (others are errors)
PROPERTY_TYPES: dict[str, set[str] | None] = {
    "min": NUMBER_TYPES | {"date", "datetime"},
    "max": NUMBER_TYPES | {"date", "datetime"},
    "min_length": TEXT_TYPES,
    "max_length": TEXT_TYPES,
    "pattern": TEXT_TYPES,
    "pattern_message": TEXT_TYPES,
    "precision": {"decimal", "percent"},
    "options": {"choice", "multichoice"},
    "codelist": {"choice", "multichoice"},
    "options_from": {"choice"},
    "entity": {"link"},
    "display_field": {"link"},
    "fields": {"table"},
    "min_rows": {"table"},
    "max_rows": {"table"},
    "formula": {"computed"},
    "result": {"computed", "rollup"},
    "from": {"rollup"},
    "link": {"rollup"},
    "aggregate": {"rollup"},
    "field": {"rollup"},
    "where": {"rollup"},
    "order_by": {"rollup"},
    "accept": {"attachment"},
    "max_size_mb": {"attachment"},
    "multiple": {"attachment"},
}

RESERVED_FIELDS = {"id", "version", "entity", "created_at", "created_by", "updated_at",
                   "updated_by", "meta_version", "parent", "row"}


def storage_of(type_name: str, result: str | None, extra: dict[str, str]) -> str:
    if type_name in ("computed", "rollup"):
        return BUILTIN_STORAGE.get(result or "decimal", "decimal")
    return BUILTIN_STORAGE.get(type_name) or extra[type_name]
