"""Requests that wait for a second signature (dual authorisation through an inbox, issue #15 item 2): a red →
green clearance, a document void, a gate override. The requester files it; a different user with the
supervisor role approves (the action then runs, confirmed by them) or refuses with a reason; the requester's
screen reads the answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow, uuid7


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(20))  # ECD_CLEAR | DOCUMENT_VOID | GATE_OVERRIDE
    subject: Mapped[str] = mapped_column(String(120))  # what it is about, as people name it (e-CD id, number…)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the action's arguments
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default="PENDING")  # PENDING | APPROVED | REFUSED | FAILED
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    requested_by_login: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_login: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[dt.datetime | None]
    answer: Mapped[str | None] = mapped_column(String(500))  # the refusal's reason, or the failure's message
    office_code: Mapped[str] = mapped_column(String(6))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_approval_requests_open", "state", "requested_at"),
                      Index("ix_approval_requests_mine", "requested_by", "requested_at"))
