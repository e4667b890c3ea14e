"""Run Alembic migrations from the application (first run, `workstation db upgrade`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# The heads of the migration graph, written down so that every start of the app can see the schema is current
# without importing Alembic (≈11 MB of memory and 0.1 s). tests/db/test_migrations.py fails when a migration is
# added and this is not updated; a database at other revisions goes through Alembic as before.
HEADS = frozenset({"0013"})


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revisions() -> frozenset[str]:
    """Workflows branch from the foundation revision; merge revisions join them. Upgrade goes to all heads."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def head_revision() -> str:
    return ",".join(sorted(head_revisions()))


def current_revisions(engine: Engine) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def current_revision(engine: Engine) -> str | None:
    revs = current_revisions(engine)
    return ",".join(sorted(revs)) if revs else None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _stamped(engine: Engine) -> frozenset[str] | None:
    """The revisions in alembic_version, read with plain SQL; None when there is no such table yet."""
    try:
        with engine.connect() as conn:
            return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:
        return None


def is_current(engine: Engine) -> bool:
    if _stamped(engine) == HEADS:  # the usual start: nothing to do, Alembic not loaded
        return True
    return current_revisions(engine) == head_revisions()
