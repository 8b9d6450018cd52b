"""The service's own records, beside the ledger in the same database: API keys (hashed, revocable),
shared scopes and their members, verifiers' proof requests (each answerable once), holders' wallets
(encrypted at rest) with their failed-open counts, and which wallet proved which request.

Everything a worker decides from lives here, not in worker memory: with several workers, a
revocation, a failed passphrase or a proof made by one is seen at once by all."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from .ledger.store import Store

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS api_keys (key_hash {blob} PRIMARY KEY, role TEXT NOT NULL, subject TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS proof_requests (id TEXT PRIMARY KEY, verifier TEXT NOT NULL, body TEXT NOT NULL,"
    " created_ms {int} NOT NULL, used {int} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wallets (id TEXT PRIMARY KEY, blob {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wallet_failures (wallet_id TEXT PRIMARY KEY, failures {int} NOT NULL,"
    " blocked_until_ms {int} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wallet_proofs (wallet_id TEXT NOT NULL, request_id TEXT NOT NULL,"
    " created_ms {int} NOT NULL, PRIMARY KEY (wallet_id, request_id))",
    "CREATE TABLE IF NOT EXISTS shared_scopes (name TEXT PRIMARY KEY, members TEXT NOT NULL,"
    " created_ms {int} NOT NULL)",
]
ROLES = ("admin", "issuer", "verifier", "auditor")
MINTABLE_ROLES = ROLES[1:]  # the only admin key is ZKELIG_ADMIN_KEY: none is minted, so none outlives its removal
KEY_ID_BYTES = 8  # a key's public id: the first bytes of its hash (names it in lists, reveals nothing of it)


def key_hash(api_key: str) -> bytes:
    # API keys are 256-bit random tokens: a plain hash is enough to make the table useless to a thief.
    return hashlib.sha256(api_key.encode()).digest()


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str  # the issuer or verifier this key acts for ("" for admin and auditor)


class WalletBackingOff(Exception):
    def __init__(self, retry_after_s: int):
        super().__init__(f"retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class Records:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store, self.clock = store, clock
        store.create_schema(_SCHEMA)
        self._add_column("api_keys", "created_ms", "{int} NOT NULL DEFAULT 0")

    def _add_column(self, table: str, column: str, declaration: str) -> None:
        """Bring a database made by an earlier version up to this schema."""
        try:
            with self.store.read() as tx:
                tx.one(f"SELECT {column} FROM {table} WHERE 1 = 0")
            return
        except Exception:  # noqa: BLE001 - sqlite3 and psycopg name a missing column differently
            pass
        words = {"int": "INTEGER" if self.store.dialect == "sqlite" else "BIGINT"}
        with self.store.write(ledger_lock=False) as tx:
            tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration.format(**words)}")

    @property
    def _for_update(self) -> str:
        return " FOR UPDATE" if self.store.dialect == "postgres" else ""

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # --- API keys ---
    # No cache: a revoked key must fail on the next request whichever worker answers it, and a
    # primary-key lookup costs less than the rest of any request.

    def create_key(self, role: str, subject: str = "") -> str:
        if role not in MINTABLE_ROLES:
            raise ValueError(f"role must be one of {MINTABLE_ROLES}")
        api_key = "zk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        with self.store.write(ledger_lock=False) as tx:
            tx.execute(
                "INSERT INTO api_keys (key_hash, role, subject, created_ms) VALUES (?, ?, ?, ?)",
                (key_hash(api_key), role, subject, self._now_ms()),
            )
        return api_key

    def principal(self, api_key: str) -> Principal | None:
        with self.store.read() as tx:
            row = tx.one("SELECT role, subject FROM api_keys WHERE key_hash = ?", (key_hash(api_key),))
        if row is None or row[0] == "admin":  # admin keys minted by earlier versions no longer count
            return None
        return Principal(row[0], row[1])

    def keys(self) -> list[dict]:
        """Every API key's id, role, subject and creation time (never the key, never its hash)."""
        with self.store.read() as tx:
            rows = tx.all("SELECT key_hash, role, subject, created_ms FROM api_keys ORDER BY created_ms, role, subject")
        return [
            {"id": bytes(r[0])[:KEY_ID_BYTES].hex(), "role": r[1], "subject": r[2], "created_ms": r[3]} for r in rows
        ]

    def revoke_key(self, key_id: str) -> bool:
        with self.store.write(ledger_lock=False) as tx:
            hashes = [bytes(r[0]) for r in tx.all("SELECT key_hash FROM api_keys")]
            matching = [h for h in hashes if h[:KEY_ID_BYTES].hex() == key_id]
            for digest in matching:
                tx.execute("DELETE FROM api_keys WHERE key_hash = ?", (digest,))
        return bool(matching)

    def verifier_ids(self) -> set[str]:
        """Verifiers that have a key or ever asked (a revoked verifier's scopes stay its own)."""
        with self.store.read() as tx:
            return {
                r[0]
                for r in tx.all(
                    "SELECT subject FROM api_keys WHERE role = 'verifier' UNION SELECT verifier FROM proof_requests"
                )
            }

    # --- shared scopes ---

    def register_scope(self, name: str, members: list[str]) -> None:
        """Create or replace a shared scope and its member verifiers."""
        with self.store.write(ledger_lock=False) as tx:
            tx.execute(
                "INSERT INTO shared_scopes (name, members, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET members = excluded.members",
                (name, json.dumps(sorted(set(members))), self._now_ms()),
            )

    def scope_members(self, name: str) -> list[str] | None:
        with self.store.read() as tx:
            row = tx.one("SELECT members FROM shared_scopes WHERE name = ?", (name,))
        return None if row is None else json.loads(row[0])

    def scopes(self) -> dict[str, list[str]]:
        with self.store.read() as tx:
            return {r[0]: json.loads(r[1]) for r in tx.all("SELECT name, members FROM shared_scopes ORDER BY name")}

    # --- proof requests ---

    def save_request(self, verifier: str, body: dict) -> str:
        request_id = secrets.token_urlsafe(16)
        with self.store.write(durable=False, ledger_lock=False) as tx:
            tx.execute(
                "INSERT INTO proof_requests (id, verifier, body, created_ms, used) VALUES (?, ?, ?, ?, 0)",
                (request_id, verifier, json.dumps(body), self._now_ms()),
            )
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
            return (
                tx.execute("UPDATE proof_requests SET used = 1 WHERE id = ? AND used = 0", (request_id,)).rowcount == 1
            )

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

    def begin_wallet_open(self, wallet_id: str, free: int, max_backoff_s: int) -> bytes | None:
        """Count an attempt to open a wallet BEFORE it is tried (so parallel guesses on any worker are
        all counted), and return its blob; raise WalletBackingOff while the wallet is backing off.

        After `free` attempts not followed by a success, each further one makes the next wait
        1, 2, 4 … s (at most `max_backoff_s`). `opened` clears the count. Unknown ids count nothing."""
        now = self._now_ms()
        with self.store.write(durable=False, ledger_lock=False) as tx:
            row = tx.one("SELECT blob FROM wallets WHERE id = ?", (wallet_id,))
            if row is None:
                return None
            # ON CONFLICT and FOR UPDATE: two workers counting the same wallet's attempts on
            # PostgreSQL serialise on its row (SQLite writers are serialised anyway).
            tx.execute(
                "INSERT INTO wallet_failures (wallet_id, failures, blocked_until_ms) VALUES (?, 0, 0)"
                " ON CONFLICT (wallet_id) DO NOTHING",
                (wallet_id,),
            )
            failures, blocked_until = tx.one(
                "SELECT failures, blocked_until_ms FROM wallet_failures WHERE wallet_id = ?" + self._for_update,
                (wallet_id,),
            )
            if blocked_until > now:
                raise WalletBackingOff(-(-(blocked_until - now) // 1000))
            failures += 1
            wait_s = 0 if failures <= free else min(max_backoff_s, 2 ** min(failures - free - 1, 30))
            tx.execute(
                "UPDATE wallet_failures SET failures = ?, blocked_until_ms = ? WHERE wallet_id = ?",
                (failures, now + wait_s * 1000, wallet_id),
            )
        return bytes(row[0])

    def wallet_opened(self, wallet_id: str) -> None:
        with self.store.write(durable=False, ledger_lock=False) as tx:
            tx.execute("DELETE FROM wallet_failures WHERE wallet_id = ?", (wallet_id,))

    def record_wallet_proof(self, wallet_id: str, request_id: str) -> bool:
        """Record that this wallet proves this request; False if it already did (one proof each)."""
        with self.store.write(ledger_lock=False) as tx:
            return (
                tx.execute(
                    "INSERT INTO wallet_proofs (wallet_id, request_id, created_ms) VALUES (?, ?, ?)"
                    " ON CONFLICT (wallet_id, request_id) DO NOTHING",
                    (wallet_id, request_id, self._now_ms()),
                ).rowcount
                == 1
            )

    def forget_wallet_proof(self, wallet_id: str, request_id: str) -> None:
        """Undo record_wallet_proof when the service failed to prove (not the holder's doing)."""
        with self.store.write(ledger_lock=False) as tx:
            tx.execute("DELETE FROM wallet_proofs WHERE wallet_id = ? AND request_id = ?", (wallet_id, request_id))
