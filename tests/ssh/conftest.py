"""Fixtures for `workstation serve-ssh` driven by the real OpenSSH client (issue #15 item 6): a database with
users (tests/conftest.py `users`: admin, siti officer, agus supervisor, ... all with PASSWORD), client keys made
with ssh-keygen and registered, and the server started as its own process on 127.0.0.1 (port 0: it prints the
port it got). tmux draws the client's terminal at 80x24."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSH = "/usr/bin/ssh"
WAIT_S = 60.0  # how long a step may take on a loaded machine before the test gives up (not a timing test)

needs_client = pytest.mark.skipif(not (os.path.exists(SSH) and shutil.which("ssh-keygen")),
                                  reason="needs the OpenSSH client (/usr/bin/ssh, ssh-keygen)")
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux to draw the client's terminal")


def wait_for(predicate: Callable[[], object], what: str, timeout: float = WAIT_S) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def make_key(directory: Path, name: str) -> Path:
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test", "-f", str(path)],
                   check=True)
    return path


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    data_dir: Path
    home: Path

    def ssh_args(self, key: Path, *extra: str) -> list[str]:
        return [SSH, "-F", "/dev/null", "-p", str(self.port), "-i", str(key),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=20", *extra]

    def children(self) -> list[int]:
        """The server's child processes (one per SSH session)."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # the thread ended
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    def log_text(self) -> str:
        path = self.data_dir / "logs" / f"workstation-{self.proc.pid}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def keys_dir(tmp_path) -> Path:
    d = tmp_path / "keys"
    d.mkdir()
    return d


@pytest.fixture
def ssh_env(settings, tmp_path) -> dict[str, str]:
    """The environment of the server (and so of its children): the test database, fast password hashing."""
    config = tmp_path / "config.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKSTATION_", "SSH_", "TMUX"))}
    env.update(WORKSTATION_CONFIG=str(config), WORKSTATION_DATABASE_URL=settings.effective_database_url,
               WORKSTATION_DATA_DIR=str(settings.data_dir), WORKSTATION_PASSWORD_HASHING="fast",
               HOME=str(tmp_path))
    return env


@pytest.fixture
def start_server(ssh_env, tmp_path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*extra: str) -> Server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workstation", "serve-ssh", "--listen", "127.0.0.1:0",
             "--host-key", str(tmp_path / "host_key"), *extra],
            env=ssh_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on" not in line:
            proc.kill()
            raise AssertionError(f"serve-ssh did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        server = Server(proc, int(line.rsplit(":", 1)[1]), Path(ssh_env["WORKSTATION_DATA_DIR"]), tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
            try:
                server.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.proc.pid, signal.SIGKILL)
                server.proc.wait()


@dataclass
class Tmux:
    """A tmux server of its own (socket name) with one 80x24 window running a command."""

    socket: str = field(default_factory=lambda: f"wst-{uuid.uuid4().hex[:10]}")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        import shlex

        # `; sleep` keeps the window after the client exits, so its last words can be read
        command = " ".join(shlex.quote(a) for a in argv) + "; echo CLIENT-EXIT=$?; sleep 60"
        extra = [x for k, v in (env or {}).items() for x in ("-e", f"{k}={v}")]
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", *extra, command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def wait_text(self, *texts: str) -> str:
        """The screen once it shows one of `texts`."""
        seen = [""]

        def shown() -> str | None:
            seen[0] = self.screen()
            return seen[0] if any(t in seen[0] for t in texts) else None

        try:
            return str(wait_for(shown, f"{' or '.join(map(repr, texts))} on the screen"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{seen[0]}") from None

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux()
    yield t
    t.kill()


@pytest.fixture
def siti_key(services, users, keys_dir) -> Path:
    """A key registered for siti (officer)."""
    from workstation.services.base import cli_actor
    from workstation.services.sshkeys import SshKeyService

    key = make_key(keys_dir, "siti")
    SshKeyService(services.ctx).add_key(cli_actor(services.settings), "siti", (keys_dir / "siti.pub").read_text())
    return key
