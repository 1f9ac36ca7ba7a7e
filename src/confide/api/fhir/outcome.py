"""Errors as FHIR OperationOutcome resources."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-costly",
    422: "invalid",
    429: "throttled",
    500: "exception",
    503: "transient",
}


def operation_outcome(status: int, body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
    """An OperationOutcome carrying the same words as the plain API's answer."""
    issue: dict[str, Any] = {
        "severity": "error",
        "code": _CODES.get(status, "processing"),
        "diagnostics": str(body.get("detail", "")),
    }
    if body.get("field"):
        issue["expression"] = [str(body["field"])]
    return JSONResponse(
        {"resourceType": "OperationOutcome", "issue": [issue]},
        status_code=status,
        headers=headers,
        media_type="application/fhir+json",
    )
