"""The access-decision engine: a pure function from a request and the facts to a decision."""

from confide.policy.engine import PART2_REDISCLOSURE_NOTICE, decide
from confide.policy.facts import Facts
from confide.policy.minimum_necessary import GROUND_PURPOSE, MINIMUM_NECESSARY
from confide.policy.settings import DEFAULT_SETTINGS, PolicySettings

__all__ = [
    "DEFAULT_SETTINGS",
    "GROUND_PURPOSE",
    "MINIMUM_NECESSARY",
    "PART2_REDISCLOSURE_NOTICE",
    "Facts",
    "PolicySettings",
    "decide",
]
