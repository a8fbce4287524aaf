"""Real examples in the OpenAPI schema for the main operations of a lab's day.

``examples.json`` (next to this module) holds requests and the responses the API gave to them
in a recorded session (``tests/labdb/api/test_examples.py``: lot -> formulation -> batch ->
cell -> test run -> upload -> job -> results -> metrics -> cycles -> statistics). The same
test replays the session on every run and fails when a response no longer matches its example
(other keys, types or values, identifiers and times aside), so the examples cannot drift;
``LABDB_WRITE_API_EXAMPLES=1`` re-records them after a deliberate change.

:func:`attach_examples` is a drf-spectacular post-processing hook (``POSTPROCESSING_HOOKS``):
it puts each example under its operation's JSON request body and response, so Swagger UI and
ReDoc show these instead of values generated from the types ("string", a fixed random UUID).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
JSON = "application/json"


@cache
def recorded_examples() -> list[dict[str, Any]]:
    """The recorded examples: name, summary, method, path (as in the schema), status, the
    request line, the JSON request body (None for GET and file uploads) and the response."""
    if not EXAMPLES_FILE.exists():
        return []
    examples: list[dict[str, Any]] = json.loads(EXAMPLES_FILE.read_text())
    return examples


def _example(entry: dict[str, Any], value: Any) -> dict[str, Any]:
    return {"summary": entry["summary"], "description": entry["request_line"], "value": value}


def attach_examples(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Put every recorded example on its operation (one the schema does not have is skipped
    here; the example test requires each to be attached)."""
    for entry in recorded_examples():
        operation = result.get("paths", {}).get(entry["path"], {}).get(entry["method"])
        if operation is None:
            continue
        if entry.get("request") is not None:
            content = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if content is not None:
                examples = content.setdefault("examples", {})
                examples[entry["name"]] = _example(entry, entry["request"])
        response = operation.get("responses", {}).get(str(entry["status"]))
        content = (response or {}).get("content", {}).get(JSON)
        if content is not None:
            examples = content.setdefault("examples", {})
            examples[entry["name"]] = _example(entry, entry["response"])
    return result
