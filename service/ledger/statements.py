"""What issuers sign: statements that bind every change of an issuer's tree to the issuer's own key.

Whoever runs the ledger holds its signing key and its database, so a head the ledger signs shows
only that the operator wrote those entries. An issuer's tree is trusted because every change to it
is followed on the ledger by the issuer's Ed25519 signature over a statement that names the ledger
(its origin), the issuer, where the change lands and the root the issuer's tree has after it:

    zkelig issuer statement v1
    <origin>
    issuance <issuer> <first leaf> <count> <sha256 of the leaves, hex> <root, decimal>
    revocation <issuer> <leaf index> <root, decimal>
    key <issuer> <rotation number> <new public key, base64>

(one of the last three lines). A replayed statement goes nowhere: an issuance names its first leaf
(each position is filled once), a revocation a live leaf (revoked once), a key rotation the rotation
number it makes (counted from 1, signed by the key it replaces). The issuer computes the root it
signs from the tree's public frontier (or the leaf's membership path), so the service never needs
the issuer's key, and never sees the attributes behind a leaf.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zkcore.errors import InvalidEncoding
from zkcore.merkle.poseidon_tree import Frontier, MerklePath, root_from_path

HEADER = "zkelig issuer statement v1"


def leaves_digest(leaves: Sequence[int]) -> bytes:
    """sha256 of the leaves as 32-byte big-endian words, in order."""
    return hashlib.sha256(b"".join(leaf.to_bytes(32, "big") for leaf in leaves)).digest()


def _statement(origin: str, line: str) -> bytes:
    return f"{HEADER}\n{origin}\n{line}\n".encode()


def issuance_statement(origin: str, issuer: str, first_leaf: int, count: int, digest: bytes, root: int) -> bytes:
    return _statement(origin, f"issuance {issuer} {first_leaf} {count} {digest.hex()} {root}")


def revocation_statement(origin: str, issuer: str, leaf_index: int, root: int) -> bytes:
    return _statement(origin, f"revocation {issuer} {leaf_index} {root}")


def rotation_statement(origin: str, issuer: str, rotation: int, public_key: bytes) -> bytes:
    return _statement(origin, f"key {issuer} {rotation} {base64.b64encode(public_key).decode()}")


def root_after_issuance(frontier: Frontier, leaves: Sequence[int]) -> int:
    for leaf in leaves:
        frontier = frontier.append(leaf)
    return frontier.root


@dataclass(frozen=True)
class SignedIssuance:
    """New leaves at first_leaf.., the issuer's root after them, and the issuer's signature."""

    first_leaf: int
    leaves: tuple[int, ...]
    root: int
    signature: bytes


class IssuerKey:
    """An issuer's Ed25519 key. It stays with the issuer: the service only ever sees signatures."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public_key = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls) -> IssuerKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> IssuerKey:
        """The key in `path` (PEM, PKCS#8); InvalidEncoding if it holds something else."""
        try:
            private = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except ValueError:
            raise InvalidEncoding(f"{path} is not a PEM private key") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise InvalidEncoding(f"{path} does not hold an Ed25519 key")
        return cls(private)

    def save(self, path: Path) -> None:
        """Write the key as PEM with mode 0600; refuses to overwrite an existing file."""
        pem = self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)

    def sign(self, message: bytes) -> bytes:
        """Sign another statement the issuer publishes (e.g. its period totals, service.funds)."""
        return self._private.sign(message)

    def sign_issuance(self, origin: str, issuer: str, frontier: Frontier, leaves: Sequence[int]) -> SignedIssuance:
        """Sign appending `leaves` to the tree whose current state is `frontier`."""
        return self.sign_issuance_at(origin, issuer, frontier.size, leaves, root_after_issuance(frontier, leaves))

    def sign_issuance_at(self, origin: str, issuer: str, first_leaf: int, leaves: Sequence[int],
                         root: int) -> SignedIssuance:
        """Sign `leaves` at `first_leaf` with the root the issuer computed for them (from its own copy of the tree)."""
        leaves = tuple(leaves)
        message = issuance_statement(origin, issuer, first_leaf, len(leaves), leaves_digest(leaves), root)
        return SignedIssuance(first_leaf, leaves, root, self._private.sign(message))

    def sign_revocation(self, origin: str, issuer: str, path: MerklePath) -> tuple[int, bytes]:
        """(root after, signature) for revoking the leaf whose current membership path is `path`."""
        root = root_from_path(0, path)
        return root, self._private.sign(revocation_statement(origin, issuer, path.index, root))

    def sign_rotation(self, origin: str, issuer: str, rotation: int, new_public_key: bytes) -> bytes:
        return self._private.sign(rotation_statement(origin, issuer, rotation, new_public_key))
