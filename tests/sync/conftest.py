"""Field-unit sync fixtures: central is the suite's database (SQLite, or PostgreSQL under .ci/run); each field
unit is a real SQLite file of its own, as at a border post."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import PASSWORD


@pytest.fixture(scope="session")
def unit_template(tmp_path_factory):
    from db import migrate
    from db.engine import make_engine

    path = tmp_path_factory.mktemp("unit-template") / "unit.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


class Node:
    """One database with its services (central or a unit)."""

    def __init__(self, services):
        self.services = services
        self.ctx = services.ctx
        self.db = services.ctx.db


@pytest.fixture
def central(services, users, clock):
    from workstation.sync.central import CentralSync

    services.issuance.ensure_office_key()
    node = Node(services)
    node.sync = CentralSync(services.ctx)
    node.users = users
    return node


@pytest.fixture
def make_unit(tmp_path, unit_template, clock):
    """make_unit("PLB01") -> a fresh unit database (not enrolled yet)."""
    from db.engine import Database
    from workstation.config import load_settings
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    made = []

    def make(code: str, name: str | None = None):
        folder = tmp_path / (name or code)
        folder.mkdir()
        dst = folder / "unit.sqlite"
        shutil.copyfile(unit_template, dst)
        settings = load_settings(None, database_url=f"sqlite:///{dst}", data_dir=folder / "data",
                                 password_hashing="fast", unit_code=code)
        db = Database(settings.effective_database_url)
        made.append(db)
        node = Node(Services(ServiceContext(db=db, settings=settings, clock=clock)))
        node.path = dst
        node.settings = settings
        return node

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def enrol(central, make_unit):
    """enrol("PLB01") -> a unit enrolled at central in process (LocalTransport), its officer (siti) logged in;
    the rates imported at central before the first (reference data)."""
    import shutil

    from tests.services.passenger_support import RATES
    from workstation.domain.codes import Role
    from workstation.sync.client import LocalTransport
    from workstation.sync.unit import UnitSync

    central.services.reference.import_rates(central.users[Role.SUPERVISOR], RATES)

    def enrol_unit(code: str):
        token = central.sync.add_unit(central.users[Role.ADMIN], code, f"Pos Lintas Batas {code}")
        unit = make_unit(code)
        unit.transport = LocalTransport(central.sync)
        unit.sync = UnitSync(unit.ctx)
        unit.sync.enrol(unit.transport, token, None)
        # the unit's machine is provisioned with the office's key files, like any office workstation that
        # issues documents (verification at central then trusts what the unit signs)
        shutil.copytree(central.ctx.settings.data_dir / "keys", unit.settings.data_dir / "keys", dirs_exist_ok=True)
        unit.officer = unit.services.auth.login("siti", PASSWORD)
        return unit

    return enrol_unit


@pytest.fixture
def url(central):
    """Central's sync API over real HTTP: uvicorn on a free local port in a thread (rates imported at central
    first, as an office has them)."""
    import socket
    import threading
    import time

    import uvicorn

    from tests.services.passenger_support import RATES
    from workstation.domain.codes import Role
    from workstation.sync import server

    central.services.reference.import_rates(central.users[Role.SUPERVISOR], RATES)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(server.build_app(central.sync), host="127.0.0.1", port=port,
                                        log_config=None, access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


__all__ = ["PASSWORD"]
