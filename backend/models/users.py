"""People, their phones and their sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import UTCDateTime, new_uuid, now_utc

ROLES = ("admin", "supervisor", "postman", "agency")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Agency officers see only their agency's items.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    agency = relationship("Agency", lazy="joined")
    devices = relationship("Device", back_populates="user", order_by="Device.registered_at")
    offices = relationship("PostOffice", secondary="user_offices", order_by="PostOffice.code")


class Device(db.Model):
    """A postman's registered phone; revoking it ends every session tied to it."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Highest per-device mutation sequence the server has taken (applied or rejected).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    app_version: Mapped[str | None] = mapped_column(String(32))

    user = relationship("User", back_populates="devices")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class LoginSession(db.Model):
    """One login: the family of refresh tokens rotated from it and the access tokens issued with them.

    Access tokens carry its id (`sid`), and the request's one authentication statement reads
    `revoked_at`, so revoking a session (logout, refresh-token reuse, password change, device
    revoked, account disabled) stops its access tokens at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_uuid
    )  # = RefreshToken.family_id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended (backend/auth/tokens.py: END_REASONS); the app says it on its sign-in form.
    end_reason: Mapped[str | None] = mapped_column(String(24))


class RefreshToken(db.Model):
    """One rotating refresh token. Only its hash is stored.

    Tokens of one login share a `family_id`; presenting a token that was already
    rotated means it leaked, so the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
