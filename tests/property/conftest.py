"""Hypothesis profiles: CI and the README test command run at least 2,000 examples a property."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
