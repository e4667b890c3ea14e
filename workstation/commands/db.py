"""`workstation db upgrade` / `db current`."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("db", help="database migrations")
    s = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    s.add_parser("upgrade", help="create the configured database, or migrate it, to the newest schema",
                 description="Create the configured database (a SQLite file is made readable by its owner "
                 "only) or migrate it to the newest schema, and make the office's signing keys if missing; prints "
                 "the revisions and the key files to back up. The one command that creates a database (besides "
                 "`workstation demo` and the TUI's first run).").set_defaults(handler=upgrade)
    s.add_parser("current", help="show the schema revision of the configured database",
                 description="Show the schema revision of the configured database and whether it is the newest. "
                 "Creates nothing: a missing database is reported (exit 2).").set_defaults(handler=current)


def upgrade(args) -> int:
    from db import migrate
    from db.engine import Database
    from workstation.commands.common import settings_from
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    settings = settings_from(args)
    db = Database.from_settings(settings)
    db.check()
    before = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine)
    after = migrate.current_revision(db.engine)
    pub = Services(ServiceContext(db=db, settings=settings)).issuance.ensure_office_key()
    print(f"{db.display_url}: {before or 'empty'} -> {after} (head)")
    print(f"office {settings.office.code} signing key: {settings.effective_key_file} (public {pub[:16]}…)")
    from printing.pades import pades_key_path

    print(f"office {settings.office.code} PAdES key: {pades_key_path(settings.effective_key_file)} (back it up with the signing key)")
    return 0


def current(args) -> int:
    from db import migrate
    from db.engine import Database
    from workstation.commands.common import require_database, settings_from

    settings = settings_from(args)
    require_database(settings.effective_database_url)
    db = Database.from_settings(settings)
    db.check()
    rev = migrate.current_revision(db.engine)
    head = migrate.head_revision()
    state = "head" if rev == head else f"behind head {head}; run `workstation db upgrade`"
    print(f"{db.display_url}: {rev or 'empty'} ({state})")
    return 0
