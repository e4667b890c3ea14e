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
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from workstation.errors import InputError, Refusal

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
        """Validate the kind-specific figures; a bad file names its key."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise InputError(err["msg"], field=f"{self.path.name}:{loc}") from None


def _load_file(path: Path) -> RuleSet:
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", field=str(path)) from None
    meta = doc.pop("meta", None)
    if not isinstance(meta, dict):
        raise InputError("missing [meta] table", field=str(path))
    for key in ("id", "kind", "valid_from"):
        if key not in meta:
            raise InputError("missing key", field=f"{path.name}:meta.{key}")
    valid_from = meta["valid_from"]
    valid_to = meta.get("valid_to")
    if not isinstance(valid_from, dt.date) or (valid_to is not None and not isinstance(valid_to, dt.date)):
        raise InputError("dates must be TOML dates (YYYY-MM-DD)", field=f"{path.name}:meta.valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise InputError("valid_to is before valid_from", field=f"{path.name}:meta.valid_to")
    return RuleSet(
        id=str(meta["id"]),
        kind=str(meta["kind"]),
        valid_from=valid_from,
        valid_to=valid_to,
        title=str(meta.get("title", "")),
        sources=tuple(meta.get("sources", ())),
        data=doc,
        sha256=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


@lru_cache(maxsize=8)
def _load_dirs(dirs: tuple[Path, ...]) -> dict[str, RuleSet]:
    found: dict[str, RuleSet] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*/*.toml")):
            rs = _load_file(path)
            if rs.kind != path.parent.name:
                raise InputError(f"kind {rs.kind!r} does not match its folder", field=f"{path.name}:meta.kind")
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
        raise InputError(f"unknown rule set {ruleset_id!r}", field="ruleset") from None


def ruleset_for(kind: str, day: dt.date, extra_dir: Path | str | None = None) -> RuleSet:
    """The rule set of `kind` in force on `day`. Overlapping periods are a data error."""
    matches = [r for r in all_rulesets(kind, extra_dir) if r.in_force(day)]
    if not matches:
        raise Refusal(f"no {kind} rule set in force on {day.isoformat()}", code="NO_RULESET")
    if len(matches) > 1:
        ids = ", ".join(r.id for r in matches)
        raise InputError(f"rule sets overlap on {day.isoformat()}: {ids}", field=f"rulesets/{kind}")
    return matches[0]


def check_no_overlap(sets: Iterable[RuleSet]) -> None:
    by_kind: dict[str, list[RuleSet]] = {}
    for r in sets:
        by_kind.setdefault(r.kind, []).append(r)
    for kind, rs in by_kind.items():
        rs.sort(key=lambda r: r.valid_from)
        for a, b in pairwise(rs):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                raise InputError(f"{a.id} and {b.id} overlap", field=f"rulesets/{kind}")
