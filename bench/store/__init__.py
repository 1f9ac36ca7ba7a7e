"""The storage benchmark: sealed notes against the same path unsealed, and key rotation.

Runs on SQLite (a temporary file, WAL) and on PostgreSQL (a throwaway database). Notes are
synthetic text from a seeded generator; no real data is ever used.
"""
