"""The reference tables the PIB intake reads: tariff posts (BTKI), the lartas table, BC 1.1 manifest lines.
Each import is the whole file or nothing, audited; the tariff-post length comes from the rule set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from db import audit
from db.models import Case
from db.models_pib import Bc11Line, LartasRule, PibCase, TariffPost
from workstation.domain.codes import Role
from workstation.domain.errors import ErrorCode
from workstation.domain.pib import PibState
from workstation.errors import InputError
from workstation.rules.pib_checks import (
    ManifestLine,
    TariffRow,
    parse_lartas_csv,
    parse_manifest_csv,
    parse_tariff_csv,
)
from workstation.services.base import Actor, require_role
from workstation.services.pib.base import PibBase, read_text
from workstation.services.pib.views import ImportCounts

DATA_DIR = "data"
SAMPLE_TARIFF = "tariff_sample.csv"
SAMPLE_LARTAS = "lartas_sample.csv"


class ReferenceMixin(PibBase):
    def import_tariff(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                      source: str | None = None) -> ImportCounts:
        """Store tariff posts (`hs_code,description,bm_rate`; a post has the digits of today's rule set,
        `[tariff] post_lengths`). A post already stored is updated when its description or rate changed.
        The whole file or nothing. Raises InputError naming `file:line N:column`."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="import the tariff table")
        body, label = read_text(path, text, "tariff")
        label = source or label
        rows = parse_tariff_csv(body, source=label,
                                post_lengths=self.figures(self.ctx.today()).tariff.post_lengths)
        with self.ctx.db.write() as s:
            stored = {t.hs_code: t for t in s.scalars(select(TariffPost))}
            added = changed = unchanged = 0
            for r in rows:
                old = stored.get(r.hs_code)
                if old is None:
                    s.add(TariffPost(hs_code=r.hs_code, description=r.description, bm_rate=r.bm_rate, source=label,
                                     imported_at=self.ctx.now()))
                    added += 1
                elif old.description != r.description or Decimal(old.bm_rate) != r.bm_rate:
                    old.description, old.bm_rate, old.source = r.description, r.bm_rate, label
                    old.imported_at = self.ctx.now()
                    changed += 1
                else:
                    unchanged += 1
            audit.append(s, actor.audit, "tariff.import", "tariff_posts", label,
                         {"added": added, "changed": changed, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, changed, unchanged)

    def import_lartas(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                      source: str | None = None) -> ImportCounts:
        """Store lartas rules (`hs_prefix,permit,agency`); same semantics as the tariff import."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, action="import the lartas table")
        body, label = read_text(path, text, "lartas")
        label = source or label
        rows = parse_lartas_csv(body, source=label)
        with self.ctx.db.write() as s:
            stored = {r.hs_prefix: r for r in s.scalars(select(LartasRule))}
            added = changed = unchanged = 0
            for r in rows:
                old = stored.get(r.hs_prefix)
                if old is None:
                    s.add(LartasRule(hs_prefix=r.hs_prefix, permit=r.permit, agency=r.agency, source=label,
                                     imported_at=self.ctx.now()))
                    added += 1
                elif (old.permit, old.agency) != (r.permit, r.agency):
                    old.permit, old.agency, old.source, old.imported_at = r.permit, r.agency, label, self.ctx.now()
                    changed += 1
                else:
                    unchanged += 1
            audit.append(s, actor.audit, "lartas.import", "lartas_rules", label,
                         {"added": added, "changed": changed, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, changed, unchanged)

    def import_sample_tables(self, actor: Actor) -> tuple[ImportCounts, ImportCounts]:
        """The shipped sample tariff and lartas tables (workstation/data/)."""
        base = resources.files("workstation").joinpath(DATA_DIR)
        tariff = self.import_tariff(actor, text=base.joinpath(SAMPLE_TARIFF).read_text(encoding="utf-8"),
                                    source=SAMPLE_TARIFF)
        lartas = self.import_lartas(actor, text=base.joinpath(SAMPLE_LARTAS).read_text(encoding="utf-8"),
                                    source=SAMPLE_LARTAS)
        return tariff, lartas

    def import_manifest(self, actor: Actor, path: str | Path | None = None, *, text: str | None = None,
                        source: str | None = None) -> ImportCounts:
        """Store BC 1.1 manifest lines. Idempotent; a line stored with other content is refused (a PIB may
        already rely on it: InputError MANIFEST_CONFLICT) and then nothing of the file is written."""
        require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, action="import BC 1.1 manifests")
        body, label = read_text(path, text, "manifest")
        label = source or label
        lines = parse_manifest_csv(body, source=label)
        with self.ctx.db.write() as s:
            added = unchanged = 0
            for m in lines:
                old = self._manifest(s, *m.key)
                if old is None:
                    s.add(Bc11Line(number=m.number, date=m.date, pos=m.pos, subpos=m.subpos, bl_number=m.bl_number,
                                   bl_date=m.bl_date, consignee=m.consignee, packages=m.packages,
                                   package_unit=m.package_unit, containers=list(m.containers), source=label,
                                   imported_at=self.ctx.now()))
                    added += 1
                elif old == m:
                    unchanged += 1
                else:
                    raise InputError(f"BC 1.1 {m.number} of {m.date} pos {m.pos}/{m.subpos} is stored with other "
                                     "content; refusing to change it", code=ErrorCode.MANIFEST_CONFLICT,
                                     field=f"{label}", params={"number": m.number, "pos": m.pos})
            audit.append(s, actor.audit, "manifest.import", "bc11_lines", label,
                         {"added": added, "unchanged": unchanged}, now=self.ctx.now())
        return ImportCounts(added, 0, unchanged)

    def tariff_post(self, hs_code: str) -> TariffRow | None:
        with self.ctx.db.read() as s:
            return self._tariff_rows(s, [hs_code]).get(hs_code)

    def manifest_line(self, number: str, date: dt.date, pos: str, subpos: str) -> ManifestLine | None:
        with self.ctx.db.read() as s:
            return self._manifest(s, number, date, pos, subpos)

    def declared_for_bc11(self, number: str, date: dt.date) -> bool:
        """True when a PIB (not rejected) names this BC 1.1: no PLP for these goods then (DOMAIN.md §3)."""
        with self.ctx.db.read() as s:
            q = (select(func.count()).select_from(PibCase).join(Case, Case.id == PibCase.case_id)
                 .where(PibCase.bc11_number == number, PibCase.bc11_date == date,
                        Case.state != PibState.REJECTED.value))
            return bool(s.scalar(q))
