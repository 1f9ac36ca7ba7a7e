"""The colours every PDF confide makes shares (RGB): text, muted text, rules and alerts."""

from __future__ import annotations

INK = (33, 37, 41)
MUTED = (96, 103, 112)
RULE_LINE = (200, 205, 210)
ALERT = (150, 30, 30)
