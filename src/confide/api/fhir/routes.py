"""The FHIR R4 facade's routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/fhir", tags=["fhir"])
