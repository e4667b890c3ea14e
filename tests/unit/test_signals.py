"""Every way the TUI process ends — quit, SIGTERM, SIGHUP (terminal or SSH connection closed), an unhandled
crash — ends the logged-in session row and audits it (#11 item 4). A child process runs the app through the
`workstation tui` run path (commands/tui.py `run_app`), headless, with a user logged in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from db.engine import Database
    from screens.app import WorkstationApp
    from workstation.commands.tui import run_app
    from workstation.config import load_settings
    from workstation.services import Services
    from workstation.services.base import ServiceContext

    url, data_dir, how = sys.argv[1:4]
    settings = load_settings(None, database_url=url, data_dir=data_dir, password_hashing="fast")
    services = Services(ServiceContext(db=Database(settings.effective_database_url), settings=settings))
    actor = services.auth.login("siti", sys.argv[4])

    class App(WorkstationApp):
        def _services_ready(self):
            super()._services_ready()
            self.logged_in(actor)
            if how == "crash":
                self.call_later(lambda: 1 / 0)
            elif how == "quit":
                self.call_later(self.run_action, "quit")
            print("READY", actor.session_id, flush=True)

    app = App(settings, services=services)
    run_app(app, headless=True)
    sys.exit(app.return_code or 0)
""")


@pytest.mark.parametrize("how", ["sigterm", "sighup", "crash", "quit"])
def test_every_end_of_the_process_ends_the_session(how, services, users, settings, tmp_path):
    import json
    import uuid

    from db.models import AuditEntry, UserSession

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WORKSTATION_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, settings.effective_database_url, str(settings.data_dir), how, PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line + proc.stderr.read()
        session_id = line.split()[1]
        if how.startswith("sig"):
            proc.send_signal(getattr(signal, how.upper()))
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if how.startswith("sig"):
        assert proc.returncode == 128 + getattr(signal, how.upper())
    with services.ctx.db.read() as s:
        sess = s.get(UserSession, uuid.UUID(session_id))
        assert sess.ended_at is not None
        assert sess.end_reason == how
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.logout",
                                                     AuditEntry.entity_id == str(sess.id))).all()
        reasons = [json.loads(e.payload)["reason"] for e in entries]
    assert reasons == [how]
