"""One-time credential pickups: how an issuer hands a credential to a phone without the service reading it.

The issuer encrypts the credential JSON with a fresh 256-bit AES-GCM key, posts only the ciphertext,
and gives the holder the link `<host>/wallet#pickup=<id>.<key>`. Browsers never send a URL's fragment
to the server, so the service stores ciphertext it cannot open, hands it out once (the row is deleted
in the same transaction), and forgets it after PICKUP_TTL_S. What the service learns: that an issuer
handed something of this size to someone who collected it at this time from this address.

Ciphertext layout (what `seal_pickup` writes and the wallet's pickup reader opens):
    iv (12 bytes) ‖ AES-256-GCM(key, credential JSON, aad = b"zkelig-pickup-v1"), base64 (standard) as a whole.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .ledger.store import Store

PICKUP_TTL_S = 7 * 24 * 3600  # a week to open the link; after that the issuer sends a new one
PICKUP_AAD = b"zkelig-pickup-v1"
MAX_CIPHERTEXT_CHARS = 16_384  # a credential is ~600 bytes of JSON: plenty, and bounds the table

_SCHEMA = [("CREATE TABLE IF NOT EXISTS pickups (id TEXT PRIMARY KEY, issuer TEXT NOT NULL, ciphertext TEXT NOT NULL,"
            " created_ms {int} NOT NULL)")]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def seal_pickup(credential: dict) -> tuple[str, str]:
    """The issuer's side: (ciphertext to post, key for the link's fragment)."""
    key = AESGCM.generate_key(bit_length=256)
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, json.dumps(credential, separators=(",", ":")).encode(), PICKUP_AAD)
    return base64.b64encode(iv + sealed).decode(), _b64url(key)


def pickup_link(base_url: str, pickup_id: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/wallet#pickup={pickup_id}.{key}"


class Pickups:
    def __init__(self, store: Store):
        self.store = store
        store.create_schema(_SCHEMA)

    def put(self, issuer: str, ciphertext: str) -> tuple[str, int]:
        """Store a sealed credential; returns its id and when it lapses (ms since the epoch)."""
        pickup_id = secrets.token_urlsafe(16)
        now = int(time.time() * 1000)
        with self.store.write(ledger_lock=False) as tx:
            # lapsed pickups go as new ones arrive: no sweeper process needed
            tx.execute("DELETE FROM pickups WHERE created_ms < ?", (now - PICKUP_TTL_S * 1000,))
            tx.execute("INSERT INTO pickups (id, issuer, ciphertext, created_ms) VALUES (?, ?, ?, ?)",
                       (pickup_id, issuer, ciphertext, now))
        return pickup_id, now + PICKUP_TTL_S * 1000

    def take(self, pickup_id: str) -> tuple[str, str] | None:
        """(issuer, ciphertext) once, then never again; None if unknown, collected or lapsed."""
        with self.store.write(ledger_lock=False) as tx:
            row = tx.one("SELECT issuer, ciphertext, created_ms FROM pickups WHERE id = ?", (pickup_id,))
            if row is None:
                return None
            # two collectors racing: only the one whose delete removed the row gets the ciphertext
            if tx.execute("DELETE FROM pickups WHERE id = ?", (pickup_id,)).rowcount != 1:
                return None
        if row[2] + PICKUP_TTL_S * 1000 < time.time() * 1000:
            return None
        return row[0], row[1]
