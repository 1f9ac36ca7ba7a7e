"""The clinician workspace: caseload, a client's record by category, notes, exceptions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/workspace")
