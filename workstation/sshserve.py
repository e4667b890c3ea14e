"""`workstation serve-ssh`: the workstation served over SSH (asyncssh) for offices without a system sshd
(issue #15 item 6).

What a connection gets:
- authentication by public key only: the SSH user name is the workstation login and the key must be one of that
  user's keys in `user_ssh_keys`, not revoked (`workstation user key add`). Password and keyboard-interactive
  authentication are not offered. The key is the first factor; the app's login screen then asks the user's
  password (the second), with the login fixed (`workstation tui --ssh-user=LOGIN`).
- one session channel with a PTY, running one child process: the workstation TUI, in a new session (setsid,
  done by subprocess without Python code between fork and exec: the server has threads) on its own
  pseudo-terminal, which the app takes as its controlling terminal (commands/tui.py). No shell, no command (`ssh host cmd` is refused with a message),
  no subsystem (sftp), no port forwarding (-L, -R, -W), no agent (-A) or X11 (-X) forwarding.
- the client's window size on the child's PTY (TIOCSWINSZ, and SIGWINCH to its process group) at start and at
  every resize.
- from the client's environment only TERM (the PTY request's terminal type), COLORTERM and LANG; the child
  otherwise inherits the server's environment (its WORKSTATION_* configuration) and SSH_CONNECTION, from which
  the session row's client is "ssh:<ip>:<port>".
- on disconnect the child gets SIGHUP (it ends its session row and audits the logout, commands/tui.py), then
  SIGTERM after GRACE_S and SIGKILL after another GRACE_S; a session row a killed child left open is then ended
  here ("ssh_disconnect"). `ssh.connect` and `ssh.disconnect` are audited with the key's fingerprint.
- limits: at most `max_sessions` sessions in all and `max_per_user` per login; one over is refused with a
  message. Each child is its own process with its own log file (data_dir/logs/workstation-<pid>.log) and, unless
  configured, a database pool of 1 + 1 (commands/tui.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from workstation.footprint import optimize_flags
from workstation.services import Services
from workstation.services.sshkeys import KeyOwner, SshKeyService

log = logging.getLogger(__name__)

GRACE_S = 5.0  # after SIGHUP, then after SIGTERM, before the next signal
LOGIN_TIMEOUT_S = 30.0  # a connection must authenticate within this
READ_CHUNK = 65536
CLIENT_ENV = ("COLORTERM", "LANG")  # besides TERM, which comes with the PTY request
ENV_VALUE_MAX = 64
# COLUMNS and LINES: a session's size is its PTY's (passed on at every resize); a value the server inherited
# would pin every session to it (shutil.get_terminal_size reads them first)
DROPPED_ENV_PREFIXES = ("SSH_", "TERM", "COLORTERM", "LANG", "LC_", "DISPLAY", "TMUX", "STY", "COLUMNS", "LINES")
EXEC_REFUSED = ("workstation: this server runs the workstation only; connect without a command "
                "(ssh -t {login}@host)\r\n")
PTY_REQUIRED = "workstation: a terminal is needed: connect with ssh -t\r\n"
LIMIT_TOTAL = "workstation: the server already runs {limit} sessions; try again later\r\n"
LIMIT_USER = "workstation: {login} already has {limit} sessions open; close one first\r\n"


@dataclass
class ServeOptions:
    """`host`/`port`: where to listen (port 0: any free port, printed). `host_key`: the server's private key
    file, created (Ed25519, mode 0600) when missing. `child_command(login)`: the argv of a session's process."""

    host: str
    port: int
    host_key: Path
    max_sessions: int = 50
    max_per_user: int = 3
    child_command: Callable[[str], list[str]] = field(default=lambda login: default_child_command(login))


def default_child_command(login: str, config_file: str | None = None, optimize: int = 0) -> list[str]:
    """The same app as a local start, in SSH mode (`python [-OO] -m workstation [--config F] tui --ssh-user
    LOGIN`); `optimize` 2 adds -OO (workstation.footprint.prepare_session_bytecode)."""
    config = ["--config", config_file] if config_file else []
    return [sys.executable, *optimize_flags(optimize), "-m", "workstation", *config, "tui", "--ssh-user", login]


def parse_listen(value: str) -> tuple[str, int]:
    """"HOST:PORT" or "[IPv6]:PORT" → (host, port). ValueError naming what is wrong."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:2222")
    return host.strip("[]"), int(port_text)


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's host key; a new Ed25519 key (file mode 0600, `.pub` beside it) when `path` does not exist.
    A key file readable by others is refused (ValueError), as sshd does."""
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="workstation serve-ssh")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
        path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
        log.info("created host key %s (%s)", path, key.get_fingerprint())
        return key
    if path.stat().st_mode & 0o077:
        raise ValueError(f"{path}: the host key must not be readable by others (chmod 600)")
    return asyncssh.read_private_key(str(path))


# --- the server -----------------------------------------------------------------------------------------------
class SessionRegistry:
    """Open sessions per login, for the limits."""

    def __init__(self, max_sessions: int, max_per_user: int):
        self.max_sessions, self.max_per_user = max_sessions, max_per_user
        self.by_login: dict[str, int] = {}
        self.children: set[ChildSession] = set()

    @property
    def total(self) -> int:
        return sum(self.by_login.values())

    def refusal(self, login: str) -> str | None:
        if self.total >= self.max_sessions:
            return LIMIT_TOTAL.format(limit=self.max_sessions)
        if self.by_login.get(login, 0) >= self.max_per_user:
            return LIMIT_USER.format(login=login, limit=self.max_per_user)
        return None

    def add(self, login: str) -> None:
        self.by_login[login] = self.by_login.get(login, 0) + 1

    def remove(self, login: str) -> None:
        left = self.by_login.get(login, 0) - 1
        if left > 0:
            self.by_login[login] = left
        else:
            self.by_login.pop(login, None)


class WorkstationSSHServer(asyncssh.SSHServer):
    """One per connection: public-key authentication against user_ssh_keys; sessions, nothing else."""

    def __init__(self, keys: SshKeyService, registry: SessionRegistry, options: ServeOptions):
        self.keys, self.registry, self.options = keys, registry, options
        self.conn: asyncssh.SSHServerConnection | None = None
        self.owner: KeyOwner | None = None
        self.peer = "?"
        self.local = ("", 0)
        self.peer_addr = ("", 0)
        self.sessions: list[ChildSession] = []
        self.opened_audited = False
        self.closed = False
        self.end_reason: str | None = None  # the first session's end: "exit" (quit), "disconnect", ...
        self.closed_audited = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        local = conn.get_extra_info("sockname") or ("?", 0)
        self.peer_addr, self.local = (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1]))
        self.peer = f"{peer[0]}:{peer[1]}"
        log.info("connection from %s", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        log.info("connection from %s closed%s", self.peer, f" ({exc})" if exc else "")
        self.closed = True
        for session in list(self.sessions):
            session.end("disconnect")
        self._audit_closed()

    # -- authentication: public key only ---------------------------------------------------------------
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        text = key.export_public_key("openssh").decode("ascii", "replace")
        try:
            owner = await asyncio.get_running_loop().run_in_executor(None, self.keys.key_owner, username, text)
        except Exception:
            log.exception("key look-up failed for %r from %s", username, self.peer)
            return False
        if owner is None:
            log.info("refused key %s for %r from %s", key.get_fingerprint(), username[:40], self.peer)
            return False
        self.owner = owner
        return True

    async def auth_completed(self) -> None:
        owner = self.owner
        if owner is None:  # cannot happen: public key is the only method
            return
        log.info("%s logged in with key %s from %s", owner.login, owner.fingerprint, self.peer)
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.keys.connection_opened, owner, self.peer)
            self.opened_audited = True
        except Exception:
            log.exception("could not audit the connection of %s", owner.login)
            return
        self._audit_closed()  # a connection may close before its opening was written

    # -- what an authenticated client may open ------------------------------------------------------------
    def session_requested(self) -> ChildSession:
        session = ChildSession(self)
        self.sessions.append(session)
        return session

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        log.warning("refused TCP forwarding to %s:%s for %s", dest_host[:80], dest_port, self.peer)
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log.warning("refused remote forwarding of %s:%s for %s", listen_host[:80], listen_port, self.peer)
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        log.warning("refused UNIX socket forwarding for %s", self.peer)
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        log.warning("refused UNIX socket listening for %s", self.peer)
        return False

    def session_done(self, session: ChildSession, reason: str) -> None:
        """A session's child has ended (or the session never started one)."""
        if session in self.sessions:
            self.sessions.remove(session)
        if session.counted and self.end_reason is None:
            self.end_reason = reason
        self._audit_closed()

    def _audit_closed(self) -> None:
        """Once the connection is closed and every child of it has ended: end the session rows a child left
        open and audit `ssh.disconnect` (in a worker thread: the database is not touched on the loop)."""
        owner = self.owner
        if not self.closed or self.sessions or self.closed_audited or owner is None or not self.opened_audited:
            return
        self.closed_audited = True
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(None, self.keys.connection_closed, owner, self.peer, f"ssh:{self.peer}",
                                   self.end_reason or "disconnect")
        fut.add_done_callback(_log_failure(f"could not audit the end of {owner.login}'s connection"))


def _log_failure(what: str) -> Callable[[asyncio.Future[Any]], None]:
    def done(fut: asyncio.Future[Any]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            log.error("%s: %s", what, fut.exception())

    return done


class ChildSession(asyncssh.SSHServerSession[bytes]):
    """One session channel: a PTY-backed child process running the TUI for the authenticated user."""

    def __init__(self, server: WorkstationSSHServer):
        self.server = server
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term_type: str | None = None
        self.size = (80, 24, 0, 0)
        self.command: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.master: int | None = None
        self.pidfd: int | None = None
        self.counted = False
        self.ended: str | None = None
        self._pending = b""
        self._reading = False
        self._kill_handles: list[asyncio.TimerHandle] = []

    # -- requests -------------------------------------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:
        self.term_type = term_type
        self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True  # the "shell" is the workstation; nothing else ever runs

    def exec_requested(self, command: str) -> bool:
        self.command = command  # refused with a message once the session starts
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        log.warning("refused subsystem %r for %s", subsystem[:40], self.server.peer)
        return False

    def session_started(self) -> None:
        chan, owner = self.chan, self.server.owner
        assert chan is not None and owner is not None
        if self.command is not None:
            log.warning("refused command for %s from %s", owner.login, self.server.peer)
            return self._refuse(EXEC_REFUSED.format(login=owner.login))
        if self.term_type is None:
            return self._refuse(PTY_REQUIRED)
        registry = self.server.registry
        refusal = registry.refusal(owner.login)
        if refusal:
            log.warning("session limit: %s", refusal.strip())
            return self._refuse(refusal)
        registry.add(owner.login)
        registry.children.add(self)
        self.counted = True
        try:
            self._spawn(owner.login)
        except OSError as exc:
            log.exception("could not start the session of %s", owner.login)
            self._finish(f"workstation: could not start: {exc.strerror or exc}\r\n", 1, "spawn_failed")

    def _refuse(self, message: str) -> None:
        assert self.chan is not None
        self.chan.write_stderr(message.encode())
        self.chan.exit(1)

    # -- the child ------------------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        assert self.chan is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
        env["TERM"] = _safe_env(self.term_type) or "xterm-256color"
        sent = self.chan.get_environment()
        for name in CLIENT_ENV:
            value = _safe_env(sent.get(name))
            if value:
                env[name] = value
        (peer_ip, peer_port), (local_ip, local_port) = self.server.peer_addr, self.server.local
        env["SSH_CONNECTION"] = f"{peer_ip} {peer_port} {local_ip} {local_port}"
        # glibc gives each thread an arena of 64 MB address space; 2 keep the session's virtual size small
        # (its RSS does not change measurably: bench/README.md, sessions). The operator's value wins.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        return env

    def _spawn(self, login: str) -> None:
        master, slave = os.openpty()
        try:
            _set_winsize(slave, self.size)
            argv = self.server.options.child_command(login)
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=self._environment(),
                                         close_fds=True, start_new_session=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        loop = asyncio.get_running_loop()
        self._start_reading()
        try:
            self.pidfd = os.pidfd_open(self.proc.pid)
            loop.add_reader(self.pidfd, self._child_exited)
        except (AttributeError, OSError):  # no pidfd (old kernel): poll
            self.pidfd = None
            loop.call_later(0.5, self._poll_child)
        log.info("session of %s from %s: pid %d (log workstation-%d.log)", login, self.server.peer,
                 self.proc.pid, self.proc.pid)

    def _start_reading(self) -> None:
        if self.master is not None and not self._reading:
            asyncio.get_running_loop().add_reader(self.master, self._read_master)
            self._reading = True

    def _stop_reading(self) -> None:
        if self.master is not None and self._reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self._reading = False

    def _read_master(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: every slave end closed (the child ended)
            if exc.errno != errno.EIO:
                log.warning("reading the session's terminal: %s", exc)
            data = b""
        if not data:
            self._stop_reading()
            return
        if self.chan is not None and self.ended is None:
            self.chan.write(data)

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self.master is None or self.ended is not None:
            return
        self._pending += data
        self._flush_input()

    def _flush_input(self) -> None:
        if self.master is None:
            return
        loop = asyncio.get_running_loop()
        while self._pending:
            try:
                n = os.write(self.master, self._pending)
            except BlockingIOError:
                loop.add_writer(self.master, self._flush_input)
                return
            except OSError:
                self._pending = b""
                break
            self._pending = self._pending[n:]
        loop.remove_writer(self.master)

    def pause_writing(self) -> None:
        self._stop_reading()  # the client is slow: let the child block on its terminal

    def resume_writing(self) -> None:
        self._start_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height, pixwidth, pixheight)
        if self.master is None or self.proc is None:
            return
        try:
            _set_winsize(self.master, self.size)
            os.killpg(self.proc.pid, signal.SIGWINCH)  # the kernel signals the foreground group too
        except OSError:
            pass
        log.debug("resize %dx%d for pid %d", width, height, self.proc.pid)

    def eof_received(self) -> bool:
        return True  # keep the channel half-open; the child decides when it is done

    def connection_lost(self, exc: Exception | None) -> None:
        self.end("disconnect")

    def end(self, reason: str) -> None:
        """The client went away: SIGHUP the child's process group, then SIGTERM and SIGKILL if it lingers."""
        if self.ended is not None:
            return
        self.ended = reason
        proc = self.proc
        if proc is None or proc.poll() is not None:
            self._child_exited()
            return
        self._signal(signal.SIGHUP)
        loop = asyncio.get_running_loop()
        self._kill_handles = [loop.call_later(GRACE_S, self._signal, signal.SIGTERM),
                              loop.call_later(2 * GRACE_S, self._signal, signal.SIGKILL)]

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            log.info("%s to pid %d", sig.name, self.proc.pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def _poll_child(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            asyncio.get_running_loop().call_later(0.5, self._poll_child)
        else:
            self._child_exited()

    def _child_exited(self) -> None:
        loop = asyncio.get_running_loop()
        if self.pidfd is not None:
            loop.remove_reader(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        status = self.proc.wait() if self.proc is not None else 1
        for handle in self._kill_handles:
            handle.cancel()
        if self.master is not None:
            # what the child wrote last (its goodbye) before the terminal closes
            if self.ended is None:
                with contextlib.suppress(OSError):
                    while chunk := os.read(self.master, READ_CHUNK):
                        if self.chan is not None:
                            self.chan.write(chunk)
            self._stop_reading()
            loop.remove_writer(self.master)
            os.close(self.master)
            self.master = None
        reason = self.ended or "exit"
        if self.proc is not None:
            log.info("session pid %d ended (%s, status %s)", self.proc.pid, reason, status)
        self._finish(None, status if status >= 0 else 128 - status, reason)

    def _finish(self, message: str | None, status: int, reason: str) -> None:
        if self.counted and self in self.server.registry.children:
            self.server.registry.children.discard(self)
            self.server.registry.remove(self.server.owner.login if self.server.owner else "")
        self.ended = self.ended or reason
        if self.chan is not None and reason != "disconnect":
            if message:
                self.chan.write_stderr(message.encode())
            with contextlib.suppress(Exception):
                self.chan.exit(status)
        self.server.session_done(self, reason)
        if self.proc is None:
            self.counted = False


def _safe_env(value: str | None) -> str | None:
    """A client-sent value kept only when short and printable ASCII (no escapes reach the child's environ)."""
    if value and len(value) <= ENV_VALUE_MAX and value.isascii() and value.isprintable():
        return value
    return None


def _set_winsize(fd: int, size: Sequence[int]) -> None:
    cols, rows, xpix, ypix = (max(0, min(int(v), 65535)) for v in size)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows or 24, cols or 80, xpix, ypix))


# --- running it -------------------------------------------------------------------------------------------------
async def serve(services: Services, options: ServeOptions, ready: Callable[[str, int], None] | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Listen until `stop` is set (or SIGTERM/SIGINT), then end every session (SIGHUP, as on disconnect) and
    wait for their children. `ready(host, port)` is called once listening."""
    host_key = load_or_create_host_key(options.host_key)
    keys = SshKeyService(services.ctx)
    registry = SessionRegistry(options.max_sessions, options.max_per_user)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    acceptor = await asyncssh.listen(
        options.host, options.port, server_host_keys=[host_key],
        server_factory=lambda: WorkstationSSHServer(keys, registry, options),
        encoding=None, line_editor=False, allow_pty=True, agent_forwarding=False, x11_forwarding=False,
        allow_scp=False, login_timeout=LOGIN_TIMEOUT_S, password_auth=False, kbdint_auth=False,
        server_version="workstation")
    port = acceptor.get_port()
    log.info("listening on %s:%d (host key %s)", options.host, port, host_key.get_fingerprint())
    if ready is not None:
        ready(options.host, port)
    try:
        await stop.wait()
    finally:
        acceptor.close()
        for child in list(registry.children):
            child.end("shutdown")
        deadline = loop.time() + 2 * GRACE_S + 1
        while registry.children and loop.time() < deadline:
            await asyncio.sleep(0.1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await asyncio.sleep(0.2)  # the audit of the last ends (executor) before the loop closes
