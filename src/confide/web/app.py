"""Puts the web pages on the application: their routes and their static files."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from confide.web.routes import (
    enrol,
    office,
    portal,
    portal_consents,
    sign_in,
    workspace,
    workspace_disclosures,
)

STATIC = "/static"


def install(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (kept out of the API's OpenAPI schema)."""
    pages = (sign_in, enrol, portal, portal_consents, workspace, workspace_disclosures, office)
    for module in pages:
        app.include_router(module.router, include_in_schema=False)
    app.mount(STATIC, StaticFiles(directory=str(files("confide.web") / "static")), name="static")
