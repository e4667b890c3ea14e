"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse

from workstation.config import Settings, load_settings
from workstation.errors import DatabaseUnavailable


def settings_from(args: argparse.Namespace, **overrides) -> Settings:
    return load_settings(getattr(args, "config", None), **overrides)


def services_from(args: argparse.Namespace, *, migrate: bool = True, create: bool = False):
    """The services on the configured database. Only a command meant to create one passes `create` (`db upgrade`,
    the demo, a unit's enrolment): every other command on a missing SQLite file or an empty database says so
    in one line (DatabaseUnavailable, exit 2) and creates nothing. An existing database behind the newest
    schema is migrated as before (`migrate`)."""
    from workstation.services import open_services

    settings = settings_from(args)
    if create:
        return open_services(settings, migrate=migrate)
    require_database(settings.effective_database_url)
    from db import migrate as migrations
    from db.engine import Database
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    db = Database.from_settings(settings)
    db.check()
    if migrations._stamped(db.engine) is None:  # reachable, but no schema: nothing of ours was ever created
        db.dispose()
        raise DatabaseUnavailable(f"{db.display_url} holds no workstation database; {CREATE_HINT}",
                                  field="database_url")
    if migrate and not migrations.is_current(db.engine):
        migrations.upgrade(db.engine)
    return Services(ServiceContext(db=db, settings=settings))


CREATE_HINT = "create it with `workstation db upgrade` (or start `workstation` for the first-run screen)"


def require_database(url: str) -> None:
    """A SQLite database file must exist before a command that only uses it runs: opening a missing file
    would create it. Raises DatabaseUnavailable naming the path. (PostgreSQL: the server refuses a missing
    database itself; an empty one is found by services_from.)"""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return
    path = Path(u.database).expanduser()
    if not path.is_file():
        raise DatabaseUnavailable(f"no database at {path}; {CREATE_HINT}", field="database_url")
    if not _sqlite_has_schema(path):
        raise DatabaseUnavailable(f"{path} holds no workstation database; {CREATE_HINT}", field="database_url")


def _sqlite_has_schema(path) -> bool:
    """Whether the SQLite file holds our schema (an alembic_version table), read without writing anything (the
    engine's first connection would switch the file to WAL and analyse it). True when it cannot tell (then the
    engine's own checks speak)."""
    import sqlite3
    from urllib.parse import quote

    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return True
    try:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None
    except sqlite3.Error:
        return True
    finally:
        conn.close()


# --- reading what a command is given (issue #11 item 8): bounded, decoded, named ---------------------------
def read_document_text(path: str, field: str | None = None) -> str:
    """A JSON document file ('-': stdin) as text: at most inputs.FILE_LIMITS['json'] bytes, UTF-8 with an
    optional BOM (dropped). Raises InputError FILE_UNREADABLE, FILE_TOO_LARGE, NOT_UTF8 naming the file."""
    from workstation import inputs
    from workstation.domain.jsondoc import decode_utf8

    name = field or inputs.short(path)
    return decode_utf8(inputs.read_file(path, name, kind="json"), source=name)


def read_csv_text(path: str, field: str | None = None) -> str:
    """A CSV file as checked text (inputs.read_text_file: bounded, UTF-8, no control characters)."""
    from workstation import inputs

    return inputs.read_text_file(path, field, kind="csv")


def source_label(path: str) -> str:
    """The name a service stores and audits for a file: its base name, at most 64 characters (columns and
    audit entity ids are bounded; a long path must not reach the database)."""
    import os

    from workstation import inputs

    return inputs.short(os.path.basename(path.rstrip("/")) or path, 64) if path != "-" else "stdin"
