"""The client portal: the notice, my consents, who saw my record, my disclosures, my record."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/portal")
