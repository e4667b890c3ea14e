"""SSH public keys of workstation users (issue #15 item 6): `workstation serve-ssh` maps a key offered at
login to the user it belongs to. A key is the first factor; the in-app password stays the second.

A key is never deleted: `user key remove` sets `revoked_at`, so the audit log's fingerprints keep a row to
point at. The fingerprint (OpenSSH's `SHA256:<base64 of the SHA-256 of the key blob, unpadded>`) is unique
across all users: one key opens one account."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow, uuid7


class UserSshKey(Base):
    __tablename__ = "user_ssh_keys"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    algorithm: Mapped[str] = mapped_column(String(40))  # e.g. ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa
    public_key: Mapped[str] = mapped_column(Text)  # "<algorithm> <base64>" (OpenSSH one-line form, no comment)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # "SHA256:..." (50 characters)
    comment: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(32))  # the audit login of who added it (e.g. cli:root)
    revoked_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_user_ssh_keys_user", "user_id", "revoked_at"),)
