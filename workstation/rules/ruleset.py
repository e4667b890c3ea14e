"""Dated rule sets: TOML files under rulesets/<kind>/, each with a [meta] table naming its id, kind and
the dates it is in force. The figures themselves are the kind's business (validated by the kind's own
pydantic model through `RuleSet.parse`). A deployment may add a directory of corrected files
(config `rulesets_dir`) whose files replace shipped ones with the same id — a supervisor can correct a
figure without a release; every decision records the id and the file's SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from time import monotonic as _monotonic
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from workstation.domain.errors import ErrorCode, InputError, Refusal

SHIPPED_DIR = Path(__file__).with_name("rulesets")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RuleSet:
    id: str
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None
    title: str
    sources: tuple[str, ...]
    data: dict[str, Any] = field(repr=False)
    sha256: str
    path: Path

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def parse(self, model: type[M]) -> M:
        """Validate the kind-specific figures. InputError RULESET_INVALID naming the file and key
        (`PMK-34-2025.toml:rounding.fine_unit`) for a bad value, and for a missing key: the kinds' models give
        no defaults, so no figure comes from the code."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            msg = "missing key" if err["type"] == "missing" else err["msg"]
            raise InputError(msg, code=ErrorCode.RULESET_INVALID, field=f"{self.path.name}:{loc}") from None


def _invalid(message: str, where: str) -> InputError:
    return InputError(message, code=ErrorCode.RULESET_INVALID, field=where)


def _load_file(path: Path) -> RuleSet:
    """One rule-set file. InputError RULESET_INVALID naming the file (and key) when it is not TOML, or its
    [meta] lacks id, kind, valid_from, title or sources (`valid_to` alone is optional: open-ended)."""
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(f"not valid TOML: {exc}", str(path)) from None
    meta = doc.pop("meta", None)
    if not isinstance(meta, dict):
        raise _invalid("missing [meta] table", str(path))
    for key in ("id", "kind", "valid_from", "title", "sources"):
        if key not in meta:
            raise _invalid("missing key", f"{path.name}:meta.{key}")
    valid_from = meta["valid_from"]
    valid_to = meta.get("valid_to")
    if not isinstance(valid_from, dt.date) or (valid_to is not None and not isinstance(valid_to, dt.date)):
        raise _invalid("dates must be TOML dates (YYYY-MM-DD)", f"{path.name}:meta.valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise _invalid("valid_to is before valid_from", f"{path.name}:meta.valid_to")
    sources = meta["sources"]
    if not isinstance(sources, list) or not sources or not all(isinstance(x, str) and x for x in sources):
        raise _invalid("a list of the texts the figures come from", f"{path.name}:meta.sources")
    if not isinstance(meta["title"], str) or not meta["title"].strip():
        raise _invalid("a non-empty title", f"{path.name}:meta.title")
    return RuleSet(
        id=str(meta["id"]),
        kind=str(meta["kind"]),
        valid_from=valid_from,
        valid_to=valid_to,
        title=meta["title"],
        sources=tuple(sources),
        data=doc,
        sha256=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


# A corrected rule-set file takes effect without restarting running sessions (issue #15 item 3): the files'
# (path, mtime, size) are looked at again at most every RESCAN_S seconds, and a change starts a new generation
# that every cache keyed by it (here, and the compiled rules of workstation.rules.ecd) misses. A decision
# already made keeps the rule set it recorded (id and SHA-256 stored with it).
RESCAN_S = 5.0
_SCANNED: dict[str | None, tuple[float, tuple[tuple[str, int, int], ...], int]] = {}


def _files_of(dirs: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for d in dirs:
        if d.is_dir():
            for path in sorted(d.glob("*/*.toml")):
                try:
                    st = path.stat()
                except OSError:
                    continue
                out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def generation(extra_dir: Path | str | None = None) -> int:
    """A number that changes when a rule-set file of the shipped or the extra directory changes (checked at
    most every RESCAN_S seconds; between checks a call is one dict look-up). Caches of compiled rules key on it."""
    key = str(extra_dir) if extra_dir else None
    now = _monotonic()
    seen = _SCANNED.get(key)
    if seen is not None and now - seen[0] < RESCAN_S:
        return seen[2]
    files = _files_of(_dirs(extra_dir))
    gen = seen[2] if seen is not None and seen[1] == files else (seen[2] + 1 if seen is not None else 0)
    _SCANNED[key] = (now, files, gen)
    return gen


def _load_dirs(dirs: tuple[Path, ...]) -> dict[str, RuleSet]:
    extra = dirs[1] if len(dirs) > 1 else None
    return _load_dirs_at(dirs, generation(extra))


@lru_cache(maxsize=8)
def _load_dirs_at(dirs: tuple[Path, ...], _generation: int) -> dict[str, RuleSet]:
    found: dict[str, RuleSet] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*/*.toml")):
            rs = _load_file(path)
            if rs.kind != path.parent.name:
                raise _invalid(f"kind {rs.kind!r} does not match its folder", f"{path.name}:meta.kind")
            found[rs.id] = rs  # a later directory replaces a shipped file with the same id
    return found


def _dirs(extra: Path | str | None) -> tuple[Path, ...]:
    dirs = [SHIPPED_DIR]
    if extra:
        dirs.append(Path(extra))
    return tuple(dirs)


def all_rulesets(kind: str | None = None, extra_dir: Path | str | None = None) -> list[RuleSet]:
    sets = _load_dirs(_dirs(extra_dir)).values()
    return sorted((r for r in sets if kind is None or r.kind == kind), key=lambda r: (r.kind, r.valid_from))


def ruleset_by_id(ruleset_id: str, extra_dir: Path | str | None = None) -> RuleSet:
    try:
        return _load_dirs(_dirs(extra_dir))[ruleset_id]
    except KeyError:
        raise InputError(f"unknown rule set {ruleset_id!r}", code=ErrorCode.NO_RULESET, field="ruleset",
                         params={"value": ruleset_id}) from None


def ruleset_for(kind: str, day: dt.date, extra_dir: Path | str | None = None) -> RuleSet:
    """The rule set of `kind` in force on `day`. Overlapping periods are a data error."""
    matches = [r for r in all_rulesets(kind, extra_dir) if r.in_force(day)]
    if not matches:
        raise Refusal(f"no {kind} rule set in force on {day.isoformat()}", code=ErrorCode.NO_RULESET,
                      params={"kind": kind, "day": day.isoformat()})
    if len(matches) > 1:
        ids = ", ".join(r.id for r in matches)
        raise _invalid(f"rule sets overlap on {day.isoformat()}: {ids}", f"rulesets/{kind}")
    return matches[0]


def check_no_overlap(sets: Iterable[RuleSet]) -> None:
    by_kind: dict[str, list[RuleSet]] = {}
    for r in sets:
        by_kind.setdefault(r.kind, []).append(r)
    for kind, rs in by_kind.items():
        rs.sort(key=lambda r: r.valid_from)
        for a, b in pairwise(rs):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                raise _invalid(f"{a.id} and {b.id} overlap", f"rulesets/{kind}")
