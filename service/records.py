"""The service's own records, beside the ledger in the same database: API keys (hashed), verifiers'
proof requests (each answerable once), and holders' wallets (encrypted at rest)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from .ledger.store import Store

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS api_keys (key_hash {blob} PRIMARY KEY, role TEXT NOT NULL, subject TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS proof_requests (id TEXT PRIMARY KEY, verifier TEXT NOT NULL, body TEXT NOT NULL,"
    " created_ms {int} NOT NULL, used {int} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wallets (id TEXT PRIMARY KEY, blob {blob} NOT NULL)",
]
ROLES = ("admin", "issuer", "verifier", "auditor")
PRINCIPAL_CACHE_S = 30.0  # keys are never revoked today; a revocation would take effect within this


def key_hash(api_key: str) -> bytes:
    # API keys are 256-bit random tokens: a plain hash is enough to make the table useless to a thief.
    return hashlib.sha256(api_key.encode()).digest()


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str  # the issuer or verifier this key acts for ("" for admin and auditor)


class Records:
    def __init__(self, store: Store):
        self.store = store
        store.create_schema(_SCHEMA)
        self._principals: dict[bytes, tuple[Principal, float]] = {}  # key hash → (principal, valid until)

    # --- API keys ---

    def create_key(self, role: str, subject: str = "") -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        api_key = "zk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        with self.store.write(ledger_lock=False) as tx:
            tx.execute("INSERT INTO api_keys (key_hash, role, subject) VALUES (?, ?, ?)", (key_hash(api_key), role, subject))
        return api_key

    def principal(self, api_key: str) -> Principal | None:
        digest = key_hash(api_key)
        cached = self._principals.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        with self.store.read() as tx:
            row = tx.one("SELECT role, subject FROM api_keys WHERE key_hash = ?", (digest,))
        if row is None:
            return None
        principal = Principal(row[0], row[1])
        if len(self._principals) > 10_000:
            self._principals.clear()
        self._principals[digest] = (principal, time.monotonic() + PRINCIPAL_CACHE_S)
        return principal

    # --- proof requests ---

    def save_request(self, verifier: str, body: dict) -> str:
        request_id = secrets.token_urlsafe(16)
        with self.store.write(durable=False, ledger_lock=False) as tx:
            tx.execute("INSERT INTO proof_requests (id, verifier, body, created_ms, used) VALUES (?, ?, ?, ?, 0)",
                       (request_id, verifier, json.dumps(body), int(time.time() * 1000)))
        return request_id

    def load_request(self, request_id: str) -> tuple[str, dict, int, bool] | None:
        with self.store.read() as tx:
            row = tx.one("SELECT verifier, body, created_ms, used FROM proof_requests WHERE id = ?", (request_id,))
        return None if row is None else (row[0], json.loads(row[1]), row[2], bool(row[3]))

    @staticmethod
    def request_claim(request_id: str):
        """A claim for Ledger.use_nullifier: marks the request answered in the nullifier's own
        transaction, and fails if it already was (one accepted presentation per challenge)."""

        def claim(tx) -> bool:
            return tx.execute("UPDATE proof_requests SET used = 1 WHERE id = ? AND used = 0", (request_id,)).rowcount == 1

        return claim

    # --- wallets ---

    def save_wallet(self, wallet_id: str, blob: bytes, create: bool) -> bool:
        with self.store.write(ledger_lock=False) as tx:
            if create:
                if tx.one("SELECT 1 FROM wallets WHERE id = ?", (wallet_id,)) is not None:
                    return False
                tx.execute("INSERT INTO wallets (id, blob) VALUES (?, ?)", (wallet_id, blob))
                return True
            return tx.execute("UPDATE wallets SET blob = ? WHERE id = ?", (blob, wallet_id)).rowcount == 1

    def wallet(self, wallet_id: str) -> bytes | None:
        with self.store.read() as tx:
            row = tx.one("SELECT blob FROM wallets WHERE id = ?", (wallet_id,))
        return None if row is None else bytes(row[0])
