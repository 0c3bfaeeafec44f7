"""Model card (model.json) validation against schemas/model-card.schema.json.

A tiny interpreter for the JSON Schema keywords the card schema uses (SUPPORTED_KEYWORDS), so the
GPU host needs no jsonschema package. A schema keyword it does not implement is an error, never a
silently skipped constraint (tests/test_card_optim.py checks the schema uses no other keyword);
extra keys in the card itself are allowed where the schema allows them.
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


ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
SUPPORTED_KEYWORDS = frozenset({"type", "const", "enum", "required", "properties", "additionalProperties", "items",
                                "minItems", "maxItems", "uniqueItems", "minLength", "minimum", "maximum",
                                "exclusiveMinimum"}) | ANNOTATIONS


def schema_keywords(schema: Any) -> set:
    """Every keyword used anywhere in a schema (property names are not keywords)."""
    out: set = set()
    if isinstance(schema, dict):
        for k, v in schema.items():
            out.add(k)
            if k == "properties":
                for sub in v.values():
                    out |= schema_keywords(sub)
            elif k in ("items", "additionalProperties") and isinstance(v, dict):
                out |= schema_keywords(v)
    return out


def validate(value: Any, schema: dict, path: str = "$") -> List[str]:
    """Returns the list of problems (empty when valid)."""
    unknown = set(schema) - SUPPORTED_KEYWORDS
    if unknown:
        raise ValueError(f"schema at {path} uses keywords this validator does not implement: {sorted(unknown)}")
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
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{path}: {value} > maximum {schema['maximum']}")
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{path}: missing required key {k!r}")
        props = schema.get("properties", {})
        for k, sub in props.items():
            if k in value:
                errs.extend(validate(value[k], sub, f"{path}.{k}"))
        extra = schema.get("additionalProperties", True)
        for k in value:
            if k in props:
                continue
            if extra is False:
                errs.append(f"{path}: unexpected key {k!r}")
            elif isinstance(extra, dict):
                errs.extend(validate(value[k], extra, f"{path}.{k}"))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errs.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{path}: more than {schema['maxItems']} items")
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
