"""Resilience of the store: writers killed with SIGKILL mid-transaction, faults, and what must
survive them (every acknowledged write, every audit chain)."""
