# Examples for confide.raw-sql-from-strings (semgrep --test); never imported or run.
import sqlalchemy
from sqlalchemy import insert, select, text


def queries(c, cursor, op, t, client_id, table, role):
    # ruleid: confide.raw-sql-from-strings
    c.execute(text(f"SELECT * FROM records WHERE client_id = '{client_id}'"))
    # ruleid: confide.raw-sql-from-strings
    c.execute(text("SELECT * FROM records WHERE client_id = '" + client_id + "'"))
    # ruleid: confide.raw-sql-from-strings
    c.execute(sqlalchemy.text("SELECT * FROM {} WHERE id = 1".format(table)))
    # ruleid: confide.raw-sql-from-strings
    cursor.execute("SELECT * FROM records WHERE client_id = '%s'" % client_id)
    # ruleid: confide.raw-sql-from-strings
    cursor.execute(f'SET ROLE "{role}"')
    # ruleid: confide.raw-sql-from-strings
    c.exec_driver_sql(f"DELETE FROM {table}")
    # ruleid: confide.raw-sql-from-strings
    op.execute(f"GRANT SELECT ON {table} TO {role}")
    # ruleid: confide.raw-sql-from-strings
    c.exec_driver_sql(" ".join(["SELECT * FROM", table]))
    query = f"SELECT * FROM records WHERE client_id = '{client_id}'"
    # ruleid: confide.raw-sql-from-strings
    c.execute(text(query))
    # ok: confide.raw-sql-from-strings
    c.execute(text("SELECT * FROM records WHERE client_id = :c"), {"c": client_id})
    # ok: confide.raw-sql-from-strings
    c.execute(select(t.records).where(t.records.c.client_id == client_id))
    # ok: confide.raw-sql-from-strings
    c.execute(insert(t.audit_entries).values(reasons=";".join(["a", "b"]), note=f"{client_id}"))
    # ok: confide.raw-sql-from-strings
    c.exec_driver_sql("BEGIN IMMEDIATE")
    # ok: confide.raw-sql-from-strings
    c.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7})
