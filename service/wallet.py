"""Holder wallets kept by the service for thin clients, encrypted at rest.

A wallet holds the holder secret s and the holder's credentials. It is stored as
salt (16) ‖ nonce (12) ‖ AES-256-GCM(key, JSON), key = scrypt(passphrase, salt, n=2^14, r=8, p=1),
with the wallet id as associated data (a blob cannot be moved to another id). The passphrase is
never stored; a wrong one fails authentication and reads as "not found or wrong passphrase".
"""

from __future__ import annotations

import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from circuits import credentials as cr

SCRYPT_N = 1 << 14
MIN_PASSPHRASE = 8


class WalletLocked(Exception):
    """Unknown wallet or wrong passphrase (deliberately indistinguishable)."""


def _key(passphrase: str, salt: bytes) -> bytes:
    # surrogatepass: any text the JSON layer accepted has one byte encoding, so no passphrase crashes here
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode("utf-8", "surrogatepass"))


def seal(wallet_id: str, passphrase: str, content: dict) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    return (
        salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, json.dumps(content).encode(), wallet_id.encode())
    )


def open_sealed(wallet_id: str, passphrase: str, blob: bytes | None) -> dict:
    if blob is None or len(blob) < 28 + 16:
        raise WalletLocked
    try:
        plain = AESGCM(_key(passphrase, blob[:16])).decrypt(blob[16:28], blob[28:], wallet_id.encode())
    except InvalidTag:
        raise WalletLocked from None
    return json.loads(plain)


def new_wallet() -> tuple[str, dict]:
    """A fresh wallet id and content: a new holder secret, no credentials yet."""
    return secrets.token_urlsafe(16), {"secret": str(cr.new_secret()), "credentials": {}}
