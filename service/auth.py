"""API keys per role: `Authorization: Bearer zk_…`. Missing or unknown key → 401; a key of another
role, or an issuer/verifier key used for someone else → 403.

The only admin key is ZKELIG_ADMIN_KEY (the API mints no admin keys, so none outlives its removal);
it must carry at least 128 bits and is compared in constant time."""

from __future__ import annotations

import hmac
import math
import string

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .problems import Problem
from .records import Principal

_bearer = HTTPBearer(auto_error=False, description="an API key created by the admin: zk_…")


async def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    # async: no worker-thread hop; the lookup is an in-memory cache hit but for a key's first use
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "unauthorized", "an API key is required (Authorization: Bearer …)")
    state = request.app.state.zk
    admin_key = state.settings.admin_key
    if admin_key and hmac.compare_digest(credentials.credentials.encode(), admin_key.encode()):
        return Principal("admin", "")
    principal = state.records.principal(credentials.credentials)
    if principal is None:
        raise Problem(401, "unauthorized", "unknown API key")
    return principal


ADMIN_KEY_MIN_BITS = 128
MAKE_ADMIN_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_CHARACTER_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation)


def admin_key_bits(key: str) -> float:
    """An upper estimate of the bits an admin key carries: its length times log2 of the alphabet its
    character classes span; a key of fewer than 8 distinct characters (`aaaa…`, `abab…`) counts as none."""
    if len(set(key)) < 8:
        return 0.0
    alphabet = sum(len(c) for c in _CHARACTER_CLASSES if any(ch in c for ch in key))
    alphabet += len({ch for ch in key if not any(ch in c for c in _CHARACTER_CLASSES)})
    return len(key) * math.log2(alphabet)


def weak_admin_key(key: str) -> str | None:
    """Why this admin key is refused, or None; an empty key means no admin API and is allowed."""
    if key and admin_key_bits(key) < ADMIN_KEY_MIN_BITS:
        return (f"ZKELIG_ADMIN_KEY is too weak (under {ADMIN_KEY_MIN_BITS} bits); make one with: {MAKE_ADMIN_KEY}")
    return None


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
