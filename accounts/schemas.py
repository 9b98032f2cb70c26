from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from spark_site.answers import Answer


class MeOut(Answer):
    authenticated: bool
    username: str = ""
    roles: list[str] = []
    permissions: list[str] = []


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    role: str = Field("viewer", pattern="^(viewer|trader|operator)$")
    name: str = Field("", max_length=80)
    expires_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Answer):
    token: str
    prefix: str
    username: str
    role: str
    expires_at: datetime | None


class TokenRevokeIn(Schema):
    prefix: str = Field(..., min_length=4, max_length=12)


class TokenRevokeOut(Answer):
    revoked: int
