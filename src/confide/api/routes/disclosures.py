"""The limits of confidentiality as workflows: requests, approvals, release, notification."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["disclosures"])
