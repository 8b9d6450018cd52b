"""API keys per role: `Authorization: Bearer zk_…`. Missing or unknown key → 401; a key of another
role, or an issuer/verifier key used for someone else → 403.

The only admin key is ZKELIG_ADMIN_KEY (the API mints no admin keys, so none outlives its removal);
it must carry at least 128 bits (checked at start-up: `settings.check_settings`) and is compared in
constant time."""

from __future__ import annotations

import hmac

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .deps import State
from .problems import Problem
from .records import Principal

_bearer = HTTPBearer(auto_error=False, description="an API key created by the admin: zk_…")


async def _principal(state: State, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    # async: no worker-thread hop; the lookup is an in-memory cache hit but for a key's first use
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "unauthorized", "an API key is required (Authorization: Bearer …)")
    admin_key = state.settings.admin_key
    if admin_key and hmac.compare_digest(credentials.credentials.encode(), admin_key.encode()):
        return Principal("admin", "")
    principal = state.records.principal(credentials.credentials)
    if principal is None:
        raise Problem(401, "unauthorized", "unknown API key")
    return principal


def require(*roles: str):
    """A dependency that admits only keys of these roles (admin is always admitted)."""

    async def check(principal: Principal = Depends(_principal)) -> Principal:
        if principal.role != "admin" and principal.role not in roles:
            raise Problem(403, "forbidden", f"this needs a key of role {' or '.join(roles)}")
        return principal

    return check


def acting_for(principal: Principal, subject: str) -> None:
    """An issuer or verifier key acts only for its own subject."""
    if principal.role != "admin" and principal.subject != subject:
        raise Problem(403, "forbidden", f"this key does not act for {subject}")
