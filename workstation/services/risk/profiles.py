"""Targeting profiles and random-selection rates (issue #16 items 1, 2): import a risk/1 file (a changed
profile becomes version n + 1; an unchanged one adds nothing; a changed random rate gets a fresh seed), export
the latest versions, list them, withdraw one (a new version with `active: false`)."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from db import audit
from db.models_risk import RiskProfileRow, RiskRandomRate
from workstation.domain.canonical import canonical_json, sha256_hex
from workstation.domain.errors import ErrorCode
from workstation.domain.risk import FLOW, FORMAT, Profile, parse_profile_file, profile_from_content
from workstation.errors import NotFound
from workstation.services.base import Actor, require_role
from workstation.services.risk import queries as Q
from workstation.services.risk.base import RiskBase
from workstation.services.risk.views import ImportSummary, ProfileView, RateView


class ProfilesMixin(RiskBase):
    def import_profiles(self, actor: Actor, text: str | bytes, *, source: str = "risk") -> ImportSummary:
        """Store the profiles and rates of a risk/1 file in one transaction (nothing on any error). Raises
        InputError INVALID_DOCUMENT / INVALID_JSON naming the JSON path; PermissionDenied ROLE_REQUIRED."""
        require_role(actor, *FLOW["risk.profile.import"].roles, action="manage risk profiles")
        doc = parse_profile_file(text)
        now = self.ctx.now()
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        rates_set: list[str] = []
        with self.ctx.db.write() as s:
            latest = {r.code: r for r in Q.latest_profile_rows(s)}
            for p in doc.profiles:
                content = p.content()
                digest = sha256_hex(canonical_json(content))
                old = latest.get(p.code)
                if old is not None and old.sha256 == digest:
                    unchanged.append(p.code)
                    continue
                version = 1 if old is None else old.version + 1
                (added if old is None else changed).append(p.code)
                self._add_version(s, actor, p, version, content, digest, source, now)
            current = {(r.workflow, r.port): r for r in Q.current_rates(s)}
            for r in doc.random:
                old_rate = current.get((r.workflow.value, r.port))
                if old_rate is not None and Decimal(old_rate.rate) == r.rate:
                    continue
                row = RiskRandomRate(workflow=r.workflow.value, port=r.port, rate=r.rate,
                                     seed=secrets.token_hex(32), created_at=now, created_by=actor.user_id)
                s.add(row)
                s.flush()
                rates_set.append(f"{r.workflow.value}:{r.port}")
                audit.append(s, actor.audit, "risk.random.set", "risk_random_rate", str(row.id),
                             {"workflow": r.workflow.value, "port": r.port, "rate": format(r.rate, "f")}, now=now)
        return ImportSummary(tuple(added), tuple(changed), tuple(unchanged), tuple(rates_set))

    def _add_version(self, s: Any, actor: Actor, p: Profile, version: int, content: dict[str, Any], digest: str,
                     source: str, now: Any) -> None:
        s.add(RiskProfileRow(code=p.code, version=version, workflow=p.workflow.value, name=p.name,
                             active=p.active, valid_from=p.valid_from, valid_to=p.valid_to, content=content,
                             sha256=digest, source=source[:200], imported_at=now, imported_by=actor.user_id))
        s.flush()
        audit.append(s, actor.audit, "risk.profile.import", "risk_profile", f"{p.code}@{version}",
                     {"code": p.code, "version": version, "sha256": digest, "active": p.active,
                      "source": source[:200]}, now=now)

    def withdraw_profile(self, actor: Actor, code: str) -> ProfileView:
        """Withdraw profile `code`: a new version with `active: false` (decisions keep naming the old one).
        Raises NotFound UNKNOWN_PROFILE."""
        require_role(actor, *FLOW["risk.profile.withdraw"].roles, action="withdraw risk profiles")
        now = self.ctx.now()
        with self.ctx.db.write() as s:
            old = next((r for r in Q.latest_profile_rows(s) if r.code == code), None)
            if old is None:
                raise NotFound(f"no risk profile {code}", code=ErrorCode.UNKNOWN_PROFILE, field="code",
                               params={"value": code})
            if not old.active:
                return Q.profile_view(old)
            p = profile_from_content({**old.content, "active": False})
            content = p.content()
            self._add_version(s, actor, p, old.version + 1, content, sha256_hex(canonical_json(content)),
                              "withdraw", now)
            row = s.scalars(select(RiskProfileRow).where(RiskProfileRow.code == code,
                                                         RiskProfileRow.version == old.version + 1)).one()
            return Q.profile_view(row)

    def profiles(self) -> list[ProfileView]:
        """The latest version of every profile, by code."""
        with self.ctx.db.read() as s:
            return [Q.profile_view(r) for r in Q.latest_profile_rows(s)]

    def profile_versions(self, code: str) -> list[ProfileView]:
        with self.ctx.db.read() as s:
            rows = s.scalars(select(RiskProfileRow).where(RiskProfileRow.code == code)
                             .order_by(RiskProfileRow.version))
            return [Q.profile_view(r) for r in rows]

    def random_rates(self) -> list[RateView]:
        with self.ctx.db.read() as s:
            return Q.rate_views(s)

    def export_profiles(self) -> str:
        """The latest profiles and the rates in force as a risk/1 file (seeds are never exported)."""
        with self.ctx.db.read() as s:
            profiles = [r.content for r in Q.latest_profile_rows(s)]
            rates = [{"workflow": r.workflow, "port": r.port, "rate": format(Decimal(r.rate).normalize(), "f")}
                     for r in Q.current_rates(s)]
        return json.dumps({"format": FORMAT, "profiles": profiles, "random": rates}, indent=2,
                          ensure_ascii=False) + "\n"
