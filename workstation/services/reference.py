"""Reference data every workflow reads: NDPBM exchange rates (imported from the decree's CSV) and the rule
sets decisions used (recorded by id and SHA-256 with their text)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import audit
from db.models import ExchangeRate, RuleSetRecord
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError
from workstation.rules.rates import RateRow, RateTable, parse_rates_csv
from workstation.rules.ruleset import RuleSet
from workstation.services.base import Actor, require_role

if TYPE_CHECKING:
    from workstation.services import Services


class ReferenceService:
    def __init__(self, services: Services):
        self.services = services
        self.ctx = services.ctx
        self._lock = threading.Lock()
        # (row count, latest import time) of the stored rates -> the table built from them
        self._rates: tuple[tuple[Any, ...], RateTable] | None = None

    # -- exchange rates ----------------------------------------------------------------------------------
    def import_rates(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                     source: str | None = None) -> tuple[int, int]:
        """Store the rates of an NDPBM CSV. Idempotent: rows already stored are skipped. A row that
        contradicts a stored one (same currency and start, another rate), or overlaps another period, is
        refused with its line — and nothing of the file is written. Returns (added, unchanged)."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="import exchange rates")
        if text is None:
            if path is None:
                raise InputError("no rates file given", code=ErrorCode.REQUIRED, field="file")
            try:
                text = Path(path).read_text(encoding="utf-8-sig")
            except FileNotFoundError:
                raise InputError("file not found", code=ErrorCode.FILE_UNREADABLE, field=str(path),
                                 params={"reason": "file not found"}) from None
            except UnicodeDecodeError:
                raise InputError(code=ErrorCode.NOT_UTF8, field=str(path)) from None
            except OSError as exc:
                raise InputError(code=ErrorCode.FILE_UNREADABLE, field=str(path),
                                 params={"reason": exc.strerror or str(exc)}) from None
        label = source or (Path(path).name if path else "rates")
        rows, labels = parse_rates_csv(text, source=label)
        with self.ctx.db.write() as s:
            stored = {(r.currency, r.valid_from): r for r in s.scalars(select(ExchangeRate))}
            added: list[tuple[RateRow, str]] = []
            unchanged = 0
            for row, where in zip(rows, labels, strict=True):
                old = stored.get((row.currency, row.valid_from))
                if old is None:
                    added.append((row, where))
                elif old.rate_idr == row.rate_idr and old.valid_to == row.valid_to:
                    unchanged += 1
                else:
                    raise InputError(template="{currency} from {valid_from} is stored with rate {rate} to "
                                     "{valid_to}; refusing to change it", code=ErrorCode.INVALID_VALUE,
                                     field=f"{label}:{where}",
                                     params={"currency": row.currency, "valid_from": row.valid_from,
                                             "rate": old.rate_idr, "valid_to": old.valid_to})
            # the merged table must still have no overlapping periods
            RateTable([*(RateRow(r.currency, r.rate_idr, r.valid_from, r.valid_to) for r in stored.values()),
                       *(r for r, _ in added)],
                      labels=[*("stored" for _ in stored), *(w for _, w in added)], source=label)
            for row, _ in added:
                s.add(ExchangeRate(currency=row.currency, rate_idr=row.rate_idr, valid_from=row.valid_from,
                                   valid_to=row.valid_to, source=label, imported_at=self.ctx.now()))
            audit.append(s, actor.audit, "rates.import", "exchange_rates", label,
                         {"added": len(added), "unchanged": unchanged,
                          "currencies": sorted({r.currency for r, _ in added})}, now=self.ctx.now())
        return len(added), unchanged

    def rate_table(self) -> RateTable:
        """All stored rates. Cached until another import (by any process) changes the table."""
        with self.ctx.db.read() as s:
            stamp = tuple(s.execute(select(func.count(ExchangeRate.id), func.max(ExchangeRate.imported_at))).one())
            with self._lock:
                if self._rates is not None and self._rates[0] == stamp:
                    return self._rates[1]
            rows = [RateRow(r.currency, Decimal(r.rate_idr), r.valid_from, r.valid_to)
                    for r in s.scalars(select(ExchangeRate))]
        table = RateTable(rows, source="database")
        with self._lock:
            self._rates = (stamp, table)
        return table

    # -- rule sets ---------------------------------------------------------------------------------------
    def record_ruleset(self, s: Session, ruleset: RuleSet) -> None:
        """Keep the text of a rule set a decision used (once per id + hash), inside the caller's write."""
        if s.get(RuleSetRecord, (ruleset.id, ruleset.sha256)) is None:
            s.add(RuleSetRecord(id=ruleset.id, sha256=ruleset.sha256, kind=ruleset.kind,
                                valid_from=ruleset.valid_from, valid_to=ruleset.valid_to,
                                content=ruleset.path.read_text(encoding="utf-8"), recorded_at=self.ctx.now()))
            s.flush()


def demo_rates_csv(today: dt.date, weeks_back: int = 20, weeks_ahead: int = 4) -> str:
    """Weekly NDPBM rows (Wednesday to Tuesday) around `today`, with plausible figures, for the demo."""
    base = {"USD": Decimal("16250"), "SGD": Decimal("12480"), "JPY": Decimal("10650"), "EUR": Decimal("17620"),
            "AUD": Decimal("10540"), "CNY": Decimal("2245"), "SAR": Decimal("4330"), "MYR": Decimal("3710")}
    start = today - dt.timedelta(days=(today.weekday() - 2) % 7) - dt.timedelta(weeks=weeks_back)
    lines = ["currency,rate_idr,valid_from,valid_to"]
    for w in range(weeks_back + weeks_ahead + 1):
        frm = start + dt.timedelta(weeks=w)
        for cur, rate in base.items():
            wiggle = Decimal((w * 37 + len(cur) * 11) % 90 - 45) / Decimal(1000)  # ±4.5%
            value = (rate * (1 + wiggle / 10)).quantize(Decimal("1.00"))
            lines.append(f"{cur},{value},{frm.isoformat()},{(frm + dt.timedelta(days=6)).isoformat()}")
    return "\n".join(lines) + "\n"


def seed_demo(services: Services) -> None:
    from workstation.services.base import cli_actor

    services.reference.import_rates(cli_actor(services.settings), text=demo_rates_csv(services.ctx.today()),
                                    source="demo-ndpbm.csv")
