"""The audit-log benchmark: what the hash chain costs on append, and how fast a log verifies.

Runs on SQLite (a temporary file, WAL) and on PostgreSQL (throwaway databases). Events are
synthetic ids and codes from a seeded generator; no real data is ever used.
"""
