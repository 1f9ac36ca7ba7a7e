"""The ASGI application: routes, error answers, security headers, CSRF and a body limit.

``create_app`` takes the services' dependencies, so tests build it over a real store of their
own; ``confide serve`` builds it over the data directory.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from confide.api import errors
from confide.api.fhir import routes as fhir
from confide.api.middleware import BodyLimit, CsrfProtection, SecurityHeaders
from confide.api.routes import auth, consents, disclosures, history, practice, records
from confide.api.schemas import Problem
from confide.services.audit_status import VerifyKeySource
from confide.services.deps import Deps
from confide.web.app import install as install_web

DESCRIPTION = """
confide keeps what clients tell their therapists confidential. Every read here is decided by
the access-decision engine and written to the client's tamper-evident audit log, allowed or
refused; a record you may not see is answered exactly like one that does not exist.

**Signing in.** `POST /api/v1/auth/sign-in` with your name, password and authenticator code
sets a session cookie; send the `csrf_token` it returns in the `x-csrf-token` header with every
state-changing request. Integrations use a token from `POST /api/v1/tokens` as
`Authorization: Bearer cft_…`, limited to its scopes. The FHIR R4 facade is under `/fhir`.
"""

TAGS = [
    {"name": "sign-in", "description": "Sessions, passwords and who you are."},
    {"name": "tokens", "description": "Scoped, expiring, revocable tokens for integrations."},
    {"name": "accounts", "description": "Accounts for people on file (privacy officer)."},
    {"name": "practice", "description": "Organisations, people, clients, relationships."},
    {"name": "records", "description": "Caseload, clients and their records."},
    {"name": "consents", "description": "The client's consents: give, narrow, revoke."},
    {"name": "trust", "description": "The notice, the access history, the accounting."},
    {"name": "disclosures", "description": "The limits of confidentiality, as workflows."},
    {"name": "audit", "description": "The audit log's integrity."},
    {"name": "fhir", "description": "FHIR R4: Consent, AuditEvent, Patient."},
]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Sign in first (no valid session or token)."},
    403: {"model": Problem, "description": "CSRF check failed, or the token lacks a scope."},
    404: {"model": Problem, "description": "Not found, or you may not see it (one answer)."},
    409: {"model": Problem, "description": "Collides with the current state."},
    413: {"model": Problem, "description": "The body is over 1 MiB."},
    422: {"model": Problem, "description": "A field was refused; the answer names it."},
    429: {"model": Problem, "description": "Too many failed sign-ins; see Retry-After."},
}


def create_app(
    deps: Deps,
    *,
    verify_key: VerifyKeySource = None,
    csrf_secret: str | None = None,
) -> FastAPI:
    """The application over ``deps``. ``verify_key`` checks checkpoint signatures (or loads
    the key when asked); ``csrf_secret`` signs CSRF tokens (keep it across restarts, or
    signed-in browsers must sign in again before changing anything)."""
    app = FastAPIOffline(
        title="confide",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        responses=ERROR_RESPONSES,
    )
    app.state.deps = deps
    app.state.verify_key = verify_key
    for module in (auth, practice, records, consents, history, disclosures, fhir):
        app.include_router(module.router)
    install_web(app)
    errors.install(app)
    secret = csrf_secret or secrets.token_urlsafe(32)
    app.add_middleware(CsrfProtection, secret=secret)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    # The CSRF middleware's token maker, for the sign-in answer (same secret, same format).
    app.state.csrf = CsrfProtection(app.router, secret)
    return app


def csrf_secret_file(data_dir: Path) -> str:
    """The deployment's CSRF signing secret, made on first use (owner-only file). Workers
    starting together agree: only one creates it, the others read it."""
    path = data_dir / "csrf.secret"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    for _ in range(50):  # another worker may have created it a moment before writing it
        if secret := path.read_text().strip():
            return secret
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; remove it and start again")
