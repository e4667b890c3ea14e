"""PLP: the TPS registry with the containers stored there (occupancy, the 30-day clock), PLP requests (one
per case), their container/package lines and the movements recorded at the gates (append-only)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow, uuid7


class Tps(Base):
    """A temporary storage warehouse (TPS) under an office. A yard is measured in TEU, a shed in m³; a TPS has
    either or both. Occupancy is computed from the containers stored here unless the operator's latest report
    (TPS Online) was entered, which then wins until it is cleared."""

    __tablename__ = "plp_tps"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200))
    office_code: Mapped[str] = mapped_column(String(6))
    port: Mapped[str] = mapped_column(String(5))  # UN/LOCODE, e.g. IDTPP
    capacity_teu: Mapped[int | None] = mapped_column(Integer)  # yard; None: no container yard
    capacity_m3: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # shed; None: no shed
    facilities: Mapped[list[str]] = mapped_column(JSON, default=list)  # LCL, DG, COLD
    occupancy_teu_entered: Mapped[int | None] = mapped_column(Integer)  # when not computed from containers
    occupancy_m3_entered: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # shed use is always reported
    occupancy_entered_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # optimistic locking: two supervisors editing the same TPS, the second is told (issue #15 item 7)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class TpsContainer(Base):
    """A container stored in a TPS. `first_stored_at` is when the goods were first stored at the first TPS:
    a PLP move carries it over, so the 30-day clock keeps counting."""

    __tablename__ = "plp_tps_containers"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    tps_code: Mapped[str] = mapped_column(ForeignKey("plp_tps.code"))
    number: Mapped[str] = mapped_column(String(11))
    size: Mapped[str] = mapped_column(String(2))
    first_stored_at: Mapped[dt.datetime]
    stored_at: Mapped[dt.datetime]
    left_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_plp_tps_containers_here", "tps_code", "left_at"),
                      Index("ix_plp_tps_containers_number", "number"),
                      # the daily report's BTD: still stored (NULL, or left after the day), stored before the limit
                      Index("ix_plp_tps_containers_left", "left_at", "first_stored_at"))


class PlpRequestRow(Base):
    """The request of one PLP case, its eligibility check and the officer's decision."""

    __tablename__ = "plp_requests"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    origin_tps: Mapped[str] = mapped_column(String(8), index=True)
    destination_tps: Mapped[str] = mapped_column(String(8))
    operator: Mapped[str] = mapped_column(String(200), index=True)  # the applying TPS operator
    applicant: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(64))
    port: Mapped[str] = mapped_column(String(5))
    bc11_number: Mapped[str] = mapped_column(String(6))
    bc11_date: Mapped[dt.date] = mapped_column(Date)
    import_declared: Mapped[bool] = mapped_column(Boolean)
    origin_yor_pct: Mapped[Decimal] = mapped_column(Numeric(7, 2))  # as stated by the applicant
    destination_yor_pct: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    # the office's own figures at registration (registry occupancy), None when the registry had none
    origin_registry_yor_pct: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    destination_registry_yor_pct: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    request_json: Mapped[str] = mapped_column(Text)  # the request as received
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons_met: Mapped[list[str]] = mapped_column(JSON, default=list)
    refusals: Mapped[list[str]] = mapped_column(JSON, default=list)
    ruleset: Mapped[str] = mapped_column(String(40))
    plp_number: Mapped[str | None] = mapped_column(String(80), index=True)
    plp_date: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))


class PlpLine(Base):
    """One container or one package line of a request. `state`: PENDING → APPROVED | REJECTED; an approved
    line goes OUT at the origin gate, then IN at the destination."""

    __tablename__ = "plp_lines"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # container | package
    container_number: Mapped[str | None] = mapped_column(String(32), index=True)
    size: Mapped[str | None] = mapped_column(String(2))
    bl_awb: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int | None] = mapped_column(Integer)
    package_kind: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(10), default="PENDING")
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    out_at: Mapped[dt.datetime | None]
    in_at: Mapped[dt.datetime | None]

    # the daily report's overdue lines: open now (state), or moved only after the day (out_at / in_at)
    __table_args__ = (Index("ix_plp_lines_state", "state"), Index("ix_plp_lines_out_at", "out_at"),
                      Index("ix_plp_lines_in_at", "in_at"))


class PlpMovement(Base):
    """A gate event of one line (append-only): OUT at the origin, IN at the destination."""

    __tablename__ = "plp_movements"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plp_lines.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # OUT | IN
    tps_code: Mapped[str] = mapped_column(String(8))
    at: Mapped[dt.datetime]
    truck_plate: Mapped[str] = mapped_column(String(16))
    seals: Mapped[list[str]] = mapped_column(JSON, default=list)
    read_by: Mapped[str] = mapped_column(String(64))  # "manual" or the gate reader's device name
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
