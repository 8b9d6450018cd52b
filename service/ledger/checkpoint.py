"""Signed tree heads as checkpoints (C2SP tlog-checkpoint in a signed note) and offline receipts.

A checkpoint's body is four lines: the origin (the log's name), the tree size in decimal, the
root hash in base64, and an extension line `timestamp <unix milliseconds>`. The note appends a
blank line and one signature line

    — <key name> base64(key id ‖ Ed25519 signature of the body)

where key id = SHA-256(key name ‖ "\\n" ‖ 0x01 ‖ public key)[:4] (C2SP signed-note). Anyone with
the ledger's public key checks a head; a receipt (entry, index, inclusion proof, head) is then
checked offline with nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zkcore.errors import InvalidEncoding, InvalidProof
from zkcore.merkle import rfc6962

from . import entries

SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEncoding(f"{what} is not base64") from None


@dataclass(frozen=True)
class SignedHead:
    origin: str
    size: int
    root: bytes
    timestamp_ms: int
    key_name: str
    signature: bytes  # key id ‖ Ed25519 signature

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\ntimestamp {self.timestamp_ms}\n"

    def to_text(self) -> str:
        return f"{self.body()}\n{SIGNATURE_PREFIX}{self.key_name} {base64.b64encode(self.signature).decode()}\n"

    @classmethod
    def from_text(cls, text: str) -> SignedHead:
        if not isinstance(text, str):
            raise InvalidEncoding("a checkpoint is text")
        body, sep, signatures = text.partition("\n\n")
        lines = body.split("\n")
        if not sep or len(lines) != 4 or not lines[3].startswith("timestamp "):
            raise InvalidEncoding("a checkpoint has origin, size, root and timestamp lines, then a signature")
        sig_line = signatures.rstrip("\n")
        if "\n" in sig_line or not sig_line.startswith(SIGNATURE_PREFIX):
            raise InvalidEncoding("a checkpoint has exactly one signature line")
        name, _, sig = sig_line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        size_text, stamp_text = lines[1], lines[3][len("timestamp ") :]
        if not size_text.isdigit() or not stamp_text.isdigit() or str(int(size_text)) != size_text:
            raise InvalidEncoding("checkpoint size and timestamp are decimal integers")
        root = _b64decode(lines[2], "checkpoint root")
        if len(root) != 32:
            raise InvalidEncoding("checkpoint root is 32 bytes")
        head = cls(lines[0], int(size_text), root, int(stamp_text), name, _b64decode(sig, "checkpoint signature"))
        if head.to_text() != text:
            raise InvalidEncoding("checkpoint is not in canonical form")
        return head

    def verify(self, public_key: bytes) -> None:
        """Raise InvalidProof unless the ledger key `public_key` signed this head."""
        if len(self.signature) != 68 or self.signature[:4] != key_id(self.key_name, public_key):
            raise InvalidProof("checkpoint is not signed by this key")
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(self.signature[4:], self.body().encode())
        except (InvalidSignature, ValueError):
            raise InvalidProof("checkpoint signature does not verify") from None


class LedgerKey:
    """The ledger's Ed25519 signing key; heads and verification receipts are signed with it."""

    def __init__(self, private: Ed25519PrivateKey, name: str):
        self._private = private
        self.name = name
        self.public_key = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls, name: str = "zkelig-ledger") -> LedgerKey:
        return cls(Ed25519PrivateKey.generate(), name)

    @classmethod
    def load_or_create(cls, path: Path, name: str = "zkelig-ledger") -> LedgerKey:
        """The key in `path` (PEM, PKCS#8), created with mode 0600 if absent."""
        if path.exists():
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(private, Ed25519PrivateKey):
                raise InvalidEncoding(f"{path} does not hold an Ed25519 key")
            return cls(private, name)
        key = cls.generate(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(partial, path)  # fails if another process (a second worker) created it first
        except FileExistsError:
            return cls.load_or_create(path, name)
        finally:
            os.unlink(partial)
        return key

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def sign_head(self, origin: str, size: int, root: bytes, timestamp_ms: int) -> SignedHead:
        unsigned = SignedHead(origin, size, root, timestamp_ms, self.name, b"")
        signature = key_id(self.name, self.public_key) + self.sign(unsigned.body().encode())
        return SignedHead(origin, size, root, timestamp_ms, self.name, signature)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise InvalidProof("signature does not verify") from None


@dataclass(frozen=True)
class Receipt:
    """An entry, its log index, its inclusion proof and a signed head that covers it."""

    entry: bytes
    index: int
    proof: tuple[bytes, ...]
    head: SignedHead

    def to_json(self) -> dict:
        return {
            "entry": base64.b64encode(self.entry).decode(),
            "index": self.index,
            "inclusion_proof": [base64.b64encode(p).decode() for p in self.proof],
            "checkpoint": self.head.to_text(),
        }

    @classmethod
    def from_json(cls, obj: dict) -> Receipt:
        try:
            return cls(
                _b64decode(obj["entry"], "entry"),
                int(obj["index"]),
                tuple(_b64decode(p, "proof hash") for p in obj["inclusion_proof"]),
                SignedHead.from_text(obj["checkpoint"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidEncoding(f"malformed receipt: {e}") from None

    def verify(self, public_key: bytes) -> entries.Entry:
        """The entry, once the head's signature and the entry's inclusion under it check out."""
        self.head.verify(public_key)
        rfc6962.verify_inclusion(
            self.index, self.head.size, rfc6962.leaf_hash(self.entry), list(self.proof), self.head.root
        )
        return entries.decode(self.entry)
