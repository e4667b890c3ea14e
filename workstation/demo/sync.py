"""`workstation demo --unit` (issue #14): a field unit beside the demo's central database, so the sync screen and
the status bar show real figures.

Layout of the demo directory (both SQLite):
    DIR/demo.sqlite              central (the usual demo database: users of every role, sample cases)
    DIR/keys/                    the office key (the unit's machine is provisioned with it, as an office's is)
    DIR/unit-PLB01/unit.sqlite   the field unit PLB01, which the TUI opens
    DIR/unit-PLB01/keys/         the unit's own Ed25519 key (registered at central at enrolment)

Set-up, the first time (all through the use cases, as at a real post): central registers unit PLB01 and
takes a few e-CDs; the unit enrols with the one-time token through an in-process central
(workstation.sync.client.LocalTransport) and syncs; both sides then work on the same green e-CD — central
releases it, the unit (offline) diverts it to the red lane — and the unit syncs again, so central keeps the
unit's change as a conflict (the review screen's example, synced back to the unit); last, the unit takes two
e-CDs offline, which stay pending. Every start also serves central's sync API over HTTP on a free local port
(uvicorn in a daemon thread) and stores that URL on the unit, so "Sync now" in the TUI really pushes and pulls.

    demo = prepare_unit_demo(demo_dir)
    boot = read_boot(config, **{...the demo's overrides..., **demo.overrides})
    app = WorkstationApp(boot, services_factory=demo.build, demo_accounts=DEMO_ACCOUNTS)
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workstation.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from workstation.config import Settings
    from workstation.services import Services

log = logging.getLogger(__name__)

UNIT_CODE = "PLB01"
UNIT_NAME = "Pos Lintas Batas Negara Entikong"
CENTRAL_FILE = "demo.sqlite"
SERVER_START_S = 20.0


@dataclass
class UnitDemo:
    """What `workstation demo --unit` needs: `overrides` for the TUI's settings (the unit's database, data
    directory, unit code, the office key), `build` as the app's services factory (sets everything up on first
    run, starts the sync server, returns the unit's services), `banner` (which database the TUI is on) and
    `close()` (stops the sync server)."""

    demo_dir: Path
    overrides: dict[str, Any]
    banner: str
    note: dict[str, str] = field(default_factory=dict)  # the banner's parts, for the login screen to translate
    server_url: str | None = None
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def central_db(self) -> Path:
        return self.demo_dir / CENTRAL_FILE

    @property
    def unit_dir(self) -> Path:
        return self.demo_dir / f"unit-{UNIT_CODE}"

    @property
    def unit_db(self) -> Path:
        return self.unit_dir / "unit.sqlite"

    def central_settings(self, unit_settings: Settings) -> Settings:
        from workstation.config import with_overrides

        return with_overrides(unit_settings, database_url=f"sqlite:///{self.central_db}", data_dir=self.demo_dir,
                              unit_code=None)

    def build(self, settings: Settings) -> Services:
        """The app's services factory: central (the usual demo), the unit enrolled and synced (first run
        only), central's sync API on a local port; returns the unit's services."""
        from workstation.demo import build_demo
        from workstation.services import open_services
        from workstation.sync.central import CentralSync
        from workstation.sync.service import SyncService

        central = build_demo(self.central_settings(settings))
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        unit = open_services(settings)
        if SyncService(unit.ctx).role() != "unit":
            set_up_unit(central, unit)
        self.server_url = self.start_server(CentralSync(central.ctx))
        SyncService(unit.ctx).set_server(self.server_url)
        return unit

    def start_server(self, central_sync: Any) -> str:
        """Serve central's sync API on a free port of 127.0.0.1 in a daemon thread; returns its URL."""
        import socket

        import uvicorn

        from workstation.sync import server

        if self.server_url is not None and self._server is not None:
            return self.server_url
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        srv = uvicorn.Server(uvicorn.Config(server.build_app(central_sync), host="127.0.0.1", port=port,
                                            log_config=None, access_log=False))
        thread = threading.Thread(target=srv.run, name="demo-sync-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + SERVER_START_S
        while not srv.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._server, self._thread = srv, thread
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None


def prepare_unit_demo(demo_dir: Path) -> UnitDemo:
    """The unit demo in `demo_dir` (created on first use by `UnitDemo.build`, reused by a later run)."""
    demo_dir = Path(demo_dir)
    unit_dir = demo_dir / f"unit-{UNIT_CODE}"
    overrides = {
        "database_url": f"sqlite:///{unit_dir / 'unit.sqlite'}",
        "data_dir": unit_dir,
        "unit_code": UNIT_CODE,
        "demo": True,
        # the office key of central's demo: this unit's machine is provisioned with it
        "signing_key_file": demo_dir / "keys" / "office-demo.ed25519",
    }
    banner = (f"field unit {UNIT_CODE}: {unit_dir / 'unit.sqlite'} (this TUI); central: {demo_dir / CENTRAL_FILE} "
              f"(`workstation demo --dir {demo_dir}` opens it: a supervisor reviews the conflict under Sync)")
    demo = UnitDemo(demo_dir, overrides, banner)
    # the login screen says it in the user's language (screens/login.py)
    demo.note = {"unit": UNIT_CODE, "unit_db": str(unit_dir / "unit.sqlite"),
                 "central_db": str(demo_dir / CENTRAL_FILE), "dir": str(demo_dir)}
    return demo


def set_up_unit(central: Services, unit: Services) -> None:
    """Register, enrol and sync the unit once; make one conflict the engine keeps; leave two changes pending.
    Raises what the services raise (a half set-up demo directory is best deleted)."""
    from workstation.domain.ecd import GREEN, ecd_from_obj
    from workstation.sync.central import CentralSync
    from workstation.sync.client import LocalTransport
    from workstation.sync.unit import UnitSync

    central_sync = CentralSync(central.ctx)
    admin = central.auth.login("admin", DEMO_PASSWORD, client="demo set-up")
    try:
        token = central_sync.add_unit(admin, UNIT_CODE, UNIT_NAME)
    finally:
        central.auth.logout(admin, "demo set-up done")
    transport = LocalTransport(central_sync)
    unit_sync = UnitSync(unit.ctx)
    unit_sync.enrol(transport, token, None)

    docs = _documents(central.ctx.today())
    c_officer = central.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    u_officer = unit.auth.login("siti", DEMO_PASSWORD, client="demo set-up")
    try:
        # central takes two e-CDs; the unit gets them on its first sync
        views = [r.view for r in central.ecd.import_documents(c_officer, [ecd_from_obj(d) for d in docs[:2]],
                                                               source="import")]
        log.info("unit demo: central's e-CDs %s", [(v.case.reference, v.state) for v in views])
        unit_sync.sync(transport)
        green = next((v for v in views if v.state == GREEN), None)
        if green is not None:
            # both sides act on the same green e-CD: central releases it, the unit (offline) diverts it
            central.ecd.release(c_officer, green.case.id, green.version)
            # (the unit holds the row as central had it at the pull: the same version)
            unit.ecd.divert(u_officer, green.case.id, green.version, "pemeriksaan acak di pos lintas batas")
        # the unit's own work, offline; then a sync: pushed, the conflict kept at central and pulled back
        unit.ecd.import_documents(u_officer, [ecd_from_obj(docs[2])], source="import")
        unit_sync.sync(transport)
        # two more e-CDs after the last sync: pending until "Sync now"
        unit.ecd.import_documents(u_officer, [ecd_from_obj(d) for d in docs[3:5]], source="import")
    finally:
        central.auth.logout(c_officer, "demo set-up done")
        unit.auth.logout(u_officer, "demo set-up done")


def _documents(today: dt.date) -> list[dict[str, Any]]:
    """Five green e-CDs for the unit demo, numbered apart from the central demo's (ECD-<date>-0005xx): plain
    souvenirs, arriving at Pontianak (PNK), where no targeting profile or random selection applies, so the
    conflict example always has its green e-CD."""
    from workstation.demo.ecd import demo_documents

    docs = demo_documents(today, 30)
    picked = [docs[i] for i in (0, 8, 16, 20, 28)]  # flight GA881 with souvenirs (demo_documents)
    out = []
    for i, d in enumerate(picked):
        out.append({**d, "ecd_id": f"ECD-{today:%Y%m%d}-{501 + i:06d}",
                    "arrival": {**d["arrival"], "port": "PNK"},
                    "declarant": {**d["declarant"], "passport": f"E{5100000 + 41 * i}"}})
    return out
