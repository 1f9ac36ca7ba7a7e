"""Persistence: SQLAlchemy 2 Core tables, Alembic migrations, SQLite by default, PostgreSQL."""
