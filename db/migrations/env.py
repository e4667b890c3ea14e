"""Alembic environment. Called programmatically by db/migrate.py (a connection is passed in
config.attributes["connection"]) or by the `alembic` command (URL from the workstation settings)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from db.schema import metadata

MIGRATE_LOCK_KEY = 0x57534D31  # "WSM1": two processes starting at once must not both migrate

target_metadata = metadata


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations copy tables; with foreign keys ON the copy/drop would cascade or fail. The pragma
        # is ignored inside a transaction, so set it on the raw connection before anything begins.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        connection = connection.execution_options(ws_write=True)  # BEGIN IMMEDIATE: one migrator at a time
    else:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            transactional_ddl=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                bad = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise RuntimeError(f"migration left dangling foreign keys: {bad[:5]}")
        if connection.in_transaction():
            connection.commit()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        else:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_LOCK_KEY})
            connection.commit()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from db.engine import make_engine
    from workstation.config import load_settings

    engine = make_engine(load_settings().effective_database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
