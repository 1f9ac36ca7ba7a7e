"""The privacy office: approvals, break-glass reviews, court orders, reports, the audit log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/office")
