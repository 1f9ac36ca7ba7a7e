"""What the facade's routes answer, for the OpenAPI document: FHIR resources and
OperationOutcomes as application/fhir+json (the middleware's own refusals, a failed CSRF
check and an oversized body, stay plain JSON)."""

from __future__ import annotations

from typing import Any

from confide.api.fhir.codes import FHIR_JSON

_PROBLEM = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}, "field": {"type": "string"}},
}
_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_ERRORS = {
    400: "A search parameter, header or value that is not supported; the answer names it.",
    401: "Sign in first (no valid session or token).",
    403: "The token lacks the scope (or, with a session cookie, the CSRF check failed).",
    404: "Not found, or you may not see it (one answer, byte for byte).",
    409: "Collides with the current state.",
    413: "The body is over 1 MiB.",
    422: "An element was refused; the OperationOutcome's expression names it.",
}
_FROM_MIDDLEWARE = (403, 413)


def _resource(kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": kind}},
    }


def answers(kind: str, *, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of a route answering a ``kind`` resource with ``status``."""
    documented: dict[int | str, dict[str, Any]] = {
        status: {"description": f"A {kind}.", "content": {FHIR_JSON: {"schema": _resource(kind)}}}
    }
    for code, description in _ERRORS.items():
        content: dict[str, Any] = {FHIR_JSON: {"schema": _OUTCOME}}
        if code in _FROM_MIDDLEWARE:
            content["application/json"] = {"schema": _PROBLEM}
        documented[code] = {"description": description, "content": content}
    return documented
