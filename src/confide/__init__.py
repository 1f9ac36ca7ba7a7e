"""confide: keeps what clients tell their therapists confidential."""

__version__ = "0.1.0"
