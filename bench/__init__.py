"""Benchmarks of confide, run by name: ``python -m bench decision``. Synthetic data only."""
