"""Container / vehicle X-ray scanner results.

Scanners talk over the network (WCO UFF); the workstation takes one result record per scan:

    {"scan_id": "SC-0001", "time": "2026-11-20T10:15:00+07:00", "container": "CSQU3054383",
     "plate": null, "image": "images/SC-0001.jpg", "verdict": "suspect"}

`verdict` is "clear" or "suspect" (a boolean `suspicious` may be given instead, or as well — they must agree);
at least one of `container` / `plate`; `time` is ISO 8601 with a UTC offset. Unknown keys are kept in `raw`.

Two transports:

* serial: one record per frame, either that JSON object on one line, or a pipe line
  ``SCAN|<scan_id>|<time>|<container or ->|<plate or ->|<image or ->|<CLEAR|SUSPECT>``;
* folder: the scanner (or its gateway) drops ``*.json`` files into a folder; write to a temporary name
  (``.tmp``/``.part`` suffix or a leading dot) and rename, so a half-written file is never read. A file that
  does not parse is retried until it is `settle` seconds old, then moved to ``rejected/``; handled files move
  to ``done/`` (with `archive = false` they stay and are remembered by name, size and time).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.base import FrameError, StreamDriver
from devices.events import DeviceEvent, ScanResult

log = logging.getLogger(__name__)

_VERDICTS = {"clear": False, "suspect": True}
# The longest value of each field the result table stores (db.models.ScanResultRecord): a longer one is a bad
# frame, rejected here rather than failing the write later.
_MAX_CHARS = {"scan_id": 64, "container": 20, "plate": 16, "image": 300, "image_ref": 300}
# Control, format (bidi overrides, zero-width) and lone surrogate characters are never part of a value.
_BAD_CATEGORIES = ("Cc", "Cf", "Cs")


def _clean_text(key: str, value: str) -> str:
    if any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in value):
        raise FrameError(f"{key} contains a control character")
    return value


def parse_iso_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise FrameError("time must be an ISO 8601 string")
    if len(value) > 64:
        raise FrameError("time is too long for an ISO 8601 time")
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FrameError(f"time {value[:40]!r} is not ISO 8601") from None
    if t.tzinfo is None:
        raise FrameError("time needs a UTC offset")
    try:
        return t.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        raise FrameError("time is out of range") from None


def _opt_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value in (None, "", "-"):
        return None
    if not isinstance(value, str):
        raise FrameError(f"{key} must be a string")
    value = _clean_text(key, value.strip())
    if len(value) > _MAX_CHARS.get(key, 300):
        raise FrameError(f"{key} is longer than {_MAX_CHARS.get(key, 300)} characters")
    return value


def scan_result_from_record(
    record: Any, *, device: str, at: dt.datetime, source: str = "serial", base_dir: Path | None = None
) -> ScanResult:
    """Validate one result record. Raises FrameError naming the field."""
    if not isinstance(record, dict):
        raise FrameError("scan result must be a JSON object")
    scan_id = _opt_str(record, "scan_id")
    if not scan_id:
        raise FrameError("scan_id is required")
    container = _opt_str(record, "container")
    plate = _opt_str(record, "plate")
    if not container and not plate:
        raise FrameError("container or plate is required")
    image = _opt_str(record, "image") or _opt_str(record, "image_ref")
    if image and base_dir is not None and not os.path.isabs(image) and "://" not in image:
        image = str((base_dir / image).resolve())
    verdict_raw = record.get("verdict")
    suspicious_raw = record.get("suspicious")
    if verdict_raw is not None:
        if not isinstance(verdict_raw, str) or verdict_raw.lower() not in _VERDICTS:
            raise FrameError("verdict must be 'clear' or 'suspect'")
        verdict = verdict_raw.lower()
        if suspicious_raw is not None and suspicious_raw is not _VERDICTS[verdict]:
            raise FrameError("verdict and suspicious disagree")
    elif isinstance(suspicious_raw, bool):
        verdict = "suspect" if suspicious_raw else "clear"
    else:
        raise FrameError("verdict or suspicious is required")
    return ScanResult(
        device=device,
        at=at,
        scan_id=scan_id,
        scanned_at=parse_iso_time(record.get("time")),
        container=container.upper().replace(" ", "") if container else None,
        plate=plate.upper() if plate else None,
        image_ref=image,
        verdict=verdict,
        suspicious=_VERDICTS[verdict],
        source=source,
        raw=dict(record),
    )


def parse_scan_line(payload: bytes) -> dict[str, Any]:
    """A serial frame as a record dict (JSON object or pipe line)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise FrameError("scanner line is not UTF-8") from None
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FrameError(f"scanner line is not JSON ({exc.msg})") from None
        except (ValueError, RecursionError):  # a number past Python's digit limit; nesting past the stack
            raise FrameError("scanner line is not a JSON record this driver reads") from None
        if not isinstance(record, dict):
            raise FrameError("scan result must be a JSON object")
        return record
    if text.startswith("SCAN|"):
        parts = text.split("|")
        if len(parts) != 7:
            raise FrameError("SCAN line needs 7 fields")
        _, scan_id, when, container, plate, image, verdict = parts
        return {
            "scan_id": scan_id,
            "time": when,
            "container": container,
            "plate": plate,
            "image": image,
            "verdict": verdict.lower(),
        }
    raise FrameError("scanner line is neither JSON nor SCAN|…")


class ScannerLineDriver(StreamDriver):
    kind = "scanner"

    def handle(self, payload: bytes, at: dt.datetime) -> list[DeviceEvent]:
        return [scan_result_from_record(parse_scan_line(payload), device=self.name, at=at)]


@dataclass(frozen=True)
class DropOutcome:
    path: Path
    event: ScanResult | None
    error: str | None


class FolderScanner:
    """Polls a drop folder. `poll()` returns what it handled; never raises for a bad file."""

    SKIP_SUFFIXES = (".tmp", ".part", ".partial")

    def __init__(self, folder: str | os.PathLike[str], *, device: str, archive: bool = True, settle: float = 2.0):
        self.folder = Path(folder)
        self.device = device
        self.archive = archive
        self.settle = settle
        self._seen: set[tuple[str, int, int]] = set()

    def check(self) -> None:
        """Raise OSError if the folder is not there (the manager shows the device disconnected)."""
        if not self.folder.is_dir():
            raise OSError(f"scanner drop folder {self.folder} does not exist")
        if self.archive:
            (self.folder / "done").mkdir(exist_ok=True)
            (self.folder / "rejected").mkdir(exist_ok=True)

    def _candidates(self) -> list[os.DirEntry[str]]:
        entries = []
        with os.scandir(self.folder) as it:
            for e in it:
                if not e.name.endswith(".json") or e.name.startswith(".") or e.name.endswith(self.SKIP_SUFFIXES):
                    continue
                if e.is_file():
                    entries.append(e)
        entries.sort(key=lambda e: (e.stat().st_mtime_ns, e.name))
        return entries

    def _move(self, path: Path, sub: str) -> None:
        if not self.archive:
            return
        target = self.folder / sub / path.name
        if target.exists():  # a scanner re-using a file name: keep both
            target = target.with_name(f"{path.stem}.{time.time_ns()}{path.suffix}")
        os.replace(path, target)

    def poll(self, now: float | None = None) -> list[DropOutcome]:
        self.check()
        now = time.time() if now is None else now
        out: list[DropOutcome] = []
        for entry in self._candidates():
            path = Path(entry.path)
            st = entry.stat()
            key = (entry.name, st.st_size, st.st_mtime_ns)
            if key in self._seen:
                continue
            at = dt.datetime.now(dt.UTC)
            try:
                if st.st_size > 1024 * 1024:
                    raise FrameError("result file larger than 1 MiB")
                try:
                    record = json.loads(path.read_bytes().decode("utf-8"))
                except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, a huge number, deep nesting
                    if now - st.st_mtime < self.settle:
                        continue  # perhaps still being written by a scanner that does not rename
                    raise FrameError(f"not a JSON file ({str(exc)[:80] or type(exc).__name__})") from None
                event = scan_result_from_record(
                    record, device=self.device, at=at, source="folder", base_dir=self.folder
                )
            except FrameError as exc:
                self._move(path, "rejected")
                self._seen.add(key)
                out.append(DropOutcome(path, None, exc.reason))
                continue
            except FileNotFoundError:
                continue  # taken away meanwhile
            self._move(path, "done")
            self._seen.add(key)
            out.append(DropOutcome(path, event, None))
        if self.archive:
            self._seen.clear()  # files moved away; nothing to remember
        return out
