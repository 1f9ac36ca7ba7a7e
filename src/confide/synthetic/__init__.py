"""Synthetic practices for demos, tests and benchmarks: ids and codes only, never real people."""

from confide.synthetic.practice import PracticeData, synthetic_practice
from confide.synthetic.requests import synthetic_requests

__all__ = ["PracticeData", "synthetic_practice", "synthetic_requests"]
