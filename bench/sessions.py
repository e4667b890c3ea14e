"""Many sessions over `workstation serve-ssh` (issue #15 item 6): N users connect at once with the OpenSSH client
(each in a tmux window of 80x24), wait for the login screen, type their password and sit on the home screen.
Prints, with medians:
- time to first screen (the login screen painted) and to ready (the database open: the status bar names the
  back end) of one SSH session against a local start of the same app (`workstation tui` in a tmux window),
  alternating, one at a time; the ratio taken pair by pair;
- the same for N sessions started at once;
- memory of each logged-in session's process: RSS (what `ps` shows, shared libraries included) and PSS (its
  share of the shared pages: what N sessions really add up to), and the server's own RSS;
- PostgreSQL connections in use (pg_stat_activity of the scratch schema's database, minus those open before)
  with N sessions logged in, against the most their pools could open.
The office has its signing key, as every office has (`workstation db upgrade` creates it): each audit append
(the login's) MACs its row with it. --no-office-key measures an office without one.
Needs /usr/bin/ssh and tmux. Scratch SQLite in the temp dir, or a scratch schema in the database of --pg.
Run: python -m bench.sessions [--sessions 20] [--runs 5] [--pg URL]"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import machine, median

PASSWORD = "bench-sessions-1"
LOGIN_SCREEN = "Kata sandi"  # the login screen's password label (language id, the default)
WAIT_S = 120.0


class Tmux:
    def __init__(self) -> None:
        self.socket = f"bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._run("-f", "/dev/null", "new-session", "-d", "-s", "b", "-n", "idle", "-x", "80", "-y", "24",
                  "sleep 100000")

    def _run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def window(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        command = " ".join(shlex.quote(a) for a in argv) + "; sleep 100000"
        extra = [x for k, v in env.items() for x in ("-e", f"{k}={v}")]
        self._run("new-window", "-d", "-t", "b", "-n", name, *extra, command)

    def screen(self, name: str) -> str:
        try:
            return self._run("capture-pane", "-p", "-t", f"b:{name}")
        except subprocess.CalledProcessError:
            return ""

    def keys(self, name: str, *keys: str) -> None:
        self._run("send-keys", "-t", f"b:{name}", *keys)

    def close(self, name: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-window", "-t", f"b:{name}"], capture_output=True)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def wait_all(tmux: Tmux, names: list[str], text: str, start: dict[str, float]) -> dict[str, float]:
    """Seconds from start[name] until each window shows `text`."""
    done: dict[str, float] = {}
    deadline = time.monotonic() + WAIT_S
    while len(done) < len(names):
        for name in names:
            if name not in done and text in tmux.screen(name):
                done[name] = time.monotonic() - start[name]
        if time.monotonic() > deadline:
            missing = [n for n in names if n not in done]
            raise SystemExit(f"gave up waiting for {text!r} in {missing[:3]}: {tmux.screen(missing[0])}")
        time.sleep(0.02)
    return done


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # the thread ended
            out += [int(p) for p in (task / "children").read_text().split()]
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def scratch_database(base: str, name: str, *, drop: bool = False) -> str:
    """A database of its own in the server of `base` (so that pg_stat_activity counts only this bench's
    connections, whoever else uses the server); returns its URL. `drop`: remove it."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if drop:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def pg_connections(url: str) -> int:
    """Client connections to the database of `url`, this one's own excluded."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")).scalar_one()
    engine.dispose()
    return int(n)


def setup(url: str, data_dir: Path, keys_dir: Path, n: int, *, office_key: bool = True) -> list[str]:
    """Migrate, create the office key (unless not `office_key`) and N officers with the bench password, one SSH
    key each; returns the logins."""
    import asyncssh

    from workstation.config import load_settings
    from workstation.services import open_services
    from workstation.services.base import cli_actor
    from workstation.services.sshkeys import SshKeyService

    services = open_services(load_settings(None, database_url=url, data_dir=data_dir))
    auth, keys = services.auth, SshKeyService(services.ctx)
    actor = cli_actor(services.settings)
    if office_key:
        services.issuance.ensure_office_key()
    logins = [f"petugas{i:02d}" for i in range(1, n + 1)]
    for login in logins:
        auth.create_user(actor, login, f"Petugas {login[-2:]}", ["officer"], PASSWORD)
        key = asyncssh.generate_private_key("ssh-ed25519", comment=login)
        key.write_private_key(str(keys_dir / login))
        os.chmod(keys_dir / login, 0o600)
        keys.add_key(actor, login, key.export_public_key().decode())
    services.ctx.db.dispose()
    return logins


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5, help="alternating single starts, ssh and local")
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL database for a scratch schema (else SQLite)")
    ap.add_argument("--no-office-key", action="store_true", help="an office without its signing key file")
    args = ap.parse_args()
    if not (os.path.exists("/usr/bin/ssh") and shutil.which("tmux")):
        raise SystemExit("needs /usr/bin/ssh and tmux")
    scratch = f"bench_sessions_{os.getpid()}"
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        keys_dir = root / "keys"
        keys_dir.mkdir()
        url = scratch_database(args.pg, scratch) if args.pg else f"sqlite:///{root / 'ws.sqlite'}"
        config = root / "config.toml"
        config.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKSTATION_", "SSH_", "TMUX"))}
        env.update(WORKSTATION_CONFIG=str(config), WORKSTATION_DATABASE_URL=url,
                   WORKSTATION_DATA_DIR=str(root / "data"))
        logins = setup(url, root / "data", keys_dir, args.sessions, office_key=not args.no_office_key)
        backend = "postgresql" if args.pg else "sqlite"
        server = subprocess.Popen(
            [sys.executable, "-m", "workstation", "serve-ssh", "--listen", "127.0.0.1:0", "--host-key",
             str(root / "host_key"), "--max-sessions", str(args.sessions + 2), "--max-per-user", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = server.stdout.readline() if server.stdout else ""
        port = int(line.rsplit(":", 1)[1])
        tmux = Tmux()
        pg_before = pg_connections(url) if args.pg else 0  # serve-ssh's own pool

        def ssh(login: str) -> list[str]:
            return ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(port), "-i", str(keys_dir / login), "-t",
                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                    "-o", "IdentitiesOnly=yes", f"{login}@127.0.0.1"]

        local = [sys.executable, "-m", "workstation", "tui"]
        status = f"│ {backend} │"
        try:
            print(f"machine: {machine()}; back end {backend}; {args.sessions} sessions; office key "
                  f"{'absent' if args.no_office_key else 'present'}; medians")
            # 1. one at a time, alternating: ssh, local, ssh, local ...
            first: dict[str, list[float]] = {"ssh": [], "local": []}
            ready: dict[str, list[float]] = {"ssh": [], "local": []}
            for run in range(args.runs + 1):  # the first pair warms the caches up and is not counted
                for kind, argv in (("ssh", ssh(logins[0])), ("local", local)):
                    name = f"{kind}{run}"
                    start = {name: time.monotonic()}
                    tmux.window(name, argv, env)
                    t_first = wait_all(tmux, [name], LOGIN_SCREEN, start)[name]
                    t_ready = wait_all(tmux, [name], status, start)[name]
                    tmux.close(name)
                    if run:
                        first[kind].append(t_first)
                        ready[kind].append(t_ready)
                    time.sleep(0.5)
            print(f"{'one at a time (' + str(args.runs) + ' pairs)':<38}{'ssh s':>8}{'local s':>9}{'ratio':>7}")
            for label, values in (("first screen (login painted)", first), ("ready (database open)", ready)):
                ratios = [a / b for a, b in zip(values["ssh"], values["local"], strict=True)]
                print(f"{label:<38}{median(values['ssh']):>8.2f}{median(values['local']):>9.2f}"
                      f"{median(ratios):>7.2f}")
            while children(server.pid):
                time.sleep(0.2)

            # 2. N at once
            start = {}
            for login in logins:
                start[login] = time.monotonic()
                tmux.window(login, ssh(login), env)
            t_first = wait_all(tmux, logins, LOGIN_SCREEN, start)
            t_ready = wait_all(tmux, logins, status, start)
            for login in logins:
                tmux.keys(login, PASSWORD, "Enter")
            login_start = {login: time.monotonic() for login in logins}
            t_login = wait_all(tmux, logins, "(petugas loket)", login_start)
            time.sleep(3)  # let the home screens settle
            pids = children(server.pid)
            mem = [memory_kib(p) for p in pids]
            server_rss = memory_kib(server.pid)[0]
            pg_now = pg_connections(url) - pg_before if args.pg else None
            n = args.sessions
            print(f"{n} at once{'':<29}{'median s':>9}{'max s':>8}")
            for label, values in (("first screen", t_first), ("ready", t_ready), ("password → home screen", t_login)):
                print(f"{label:<38}{median(list(values.values())):>9.2f}{max(values.values()):>8.2f}")
            print(f"sessions' processes: {len(pids)}; RSS per session median {median([m[0] for m in mem]) / 1024:.1f} "
                  f"MB (max {max(m[0] for m in mem) / 1024:.1f}); PSS median {median([m[1] for m in mem]) / 1024:.1f}"
                  f" MB, sum {sum(m[1] for m in mem) / 1024:.0f} MB; serve-ssh RSS {server_rss / 1024:.1f} MB")
            if pg_now is not None:
                print(f"PostgreSQL connections with {n} sessions logged in: {pg_now} (serve-ssh's {pg_before} apart; "
                      f"at most {n * 2} for the sessions' pools of 1 + 1, {n * 5} with the default 2 + 3)")
            else:
                print("PostgreSQL connections: n/a on SQLite (use --pg URL)")
            for login in logins:
                tmux.close(login)
            deadline = time.monotonic() + WAIT_S
            while children(server.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            print(f"after closing every client: {len(children(server.pid))} session processes left")
        finally:
            tmux.kill()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            if args.pg:
                scratch_database(args.pg, scratch, drop=True)


if __name__ == "__main__":
    main()
