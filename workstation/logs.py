"""Logging to a file: one rotating file per process in the data dir, `logs/workstation-<pid>.log`, so that
nothing is ever written over the TUI (Textual owns the terminal) and concurrent sessions (SSH, #13) do not
interleave. Old files of processes that have ended are pruned at start-up: the newest `KEEP_FILES` stay.

    from workstation import logs
    path = logs.setup(settings.data_dir, level="INFO", console=False)   # the TUI
    path = logs.setup(settings.data_dir, console=True)                  # a one-shot command: warnings on stderr too
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
MAX_BYTES = 2_000_000  # per file before it rotates
BACKUPS = 2  # rotated copies kept of this process's file
KEEP_FILES = 10  # log files of earlier processes kept in the directory
_OURS = "_workstation_handler"  # marks the handlers this module installed (setup may run twice: tests)


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "logs"


def setup(data_dir: Path | None, *, level: str | int = "INFO", console: bool = False,
          pid: int | None = None) -> Path | None:
    """Send the root logger to `data_dir/logs/workstation-<pid>.log` (rotating at MAX_BYTES, BACKUPS kept) and
    Python warnings with it. With `console`, WARNING and above also go to stderr (one-shot commands); without
    it nothing goes to the terminal. Returns the file's path, or None when there is no data dir or it cannot be
    written (then only the console handler, or nothing at all, is installed: never a crash over logging)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False) or _is_default_stream(h)]:
        root.removeHandler(handler)
        handler.close()
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    logging.captureWarnings(True)
    path: Path | None = None
    if data_dir is not None:
        pid = pid or os.getpid()
        directory = log_dir(data_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            prune(directory, keep=KEEP_FILES, own_pid=pid)
            path = directory / f"workstation-{pid}.log"
            file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                                encoding="utf-8", delay=True)
        except OSError:
            path = None
        else:
            file_handler.setFormatter(logging.Formatter(FORMAT))
            _install(root, file_handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        _install(root, stream)
    elif path is None:
        _install(root, logging.NullHandler())  # no lastResort handler writing to the terminal
    return path


def _install(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _OURS, True)
    root.addHandler(handler)


def _is_default_stream(handler: logging.Handler) -> bool:
    """A basicConfig-style handler on the terminal (stderr/stdout), which would draw over the TUI."""
    return type(handler) is logging.StreamHandler and getattr(handler, "stream", None) in (
        sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)


def prune(directory: Path, *, keep: int, own_pid: int) -> list[Path]:
    """Delete log files (and their rotated copies) of processes that have ended, beyond the newest `keep`.
    A file whose process still runs is never deleted. Returns what was deleted."""
    groups: dict[int, list[Path]] = {}
    for p in directory.glob("workstation-*.log*"):
        stem = p.name.removeprefix("workstation-").split(".", 1)[0]
        if stem.isdigit():
            groups.setdefault(int(stem), []).append(p)
    others = sorted((pid for pid in groups if pid != own_pid),
                    key=lambda pid: max(_mtime(p) for p in groups[pid]), reverse=True)
    deleted: list[Path] = []
    for pid in others[keep:]:
        if _running(pid):
            continue
        for p in groups[pid]:
            try:
                p.unlink()
                deleted.append(p)
            except OSError:
                pass
    return deleted


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _running(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 only asks; it is never sent)."""
    if Path("/proc/self").exists():
        return Path(f"/proc/{pid}").exists()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, another user's
    return True
