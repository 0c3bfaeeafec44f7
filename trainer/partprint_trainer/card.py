"""Model card (model.json) validation against schemas/model-card.schema.json.

A tiny interpreter for the JSON Schema keywords the card schema uses (type, const, enum,
required, properties, items, minItems, uniqueItems, minLength, minimum, exclusiveMinimum), so the
GPU host needs no jsonschema package. Unknown keywords are ignored (the schema allows extra keys).
"""
from __future__ import annotations

import json
import os
from typing import Any, List, Optional

_HERE = os.path.dirname(os.path.abspath(__file__))


class CardError(ValueError):
    """The model card does not satisfy the schema."""


def find_schema(explicit: Optional[str] = None) -> str:
    candidates = [explicit, os.environ.get("PARTPRINT_CARD_SCHEMA"),
                  os.path.join(_HERE, "..", "..", "schemas", "model-card.schema.json"),
                  os.path.join(os.getcwd(), "schemas", "model-card.schema.json")]
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.normpath(c)
    raise FileNotFoundError("schemas/model-card.schema.json not found (set PARTPRINT_CARD_SCHEMA)")


def load_schema(path: Optional[str] = None) -> dict:
    with open(find_schema(path), "r", encoding="utf-8") as f:
        return json.load(f)


def _type_ok(value: Any, t: str) -> bool:
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError(f"schema uses unsupported type {t!r}")


def validate(value: Any, schema: dict, path: str = "$") -> List[str]:
    """Returns the list of problems (empty when valid)."""
    errs: List[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            return [f"{path}: expected {' or '.join(types)}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path}: must be {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: must be one of {schema['enum']}, got {value!r}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errs.append(f"{path}: string shorter than {schema['minLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errs.append(f"{path}: {value} <= exclusive minimum {schema['exclusiveMinimum']}")
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{path}: missing required key {k!r}")
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs.extend(validate(value[k], sub, f"{path}.{k}"))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errs.append(f"{path}: fewer than {schema['minItems']} items")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            errs.append(f"{path}: items are not unique")
        if "items" in schema:
            for i, v in enumerate(value):
                errs.extend(validate(v, schema["items"], f"{path}[{i}]"))
    return errs


def check_card(card: dict, schema_path: Optional[str] = None) -> None:
    problems = validate(card, load_schema(schema_path))
    if problems:
        raise CardError("model card invalid: " + "; ".join(problems))
