"""Ledger entries and their canonical, versioned binary encoding (one RFC 6962 leaf each).

    entry = version (0x01) ‖ kind (1 byte) ‖ fields

Fields are fixed-width or length-prefixed: identifiers as 1-byte length + ASCII matching
ID_PATTERN (scope names likewise, matching SCOPE_PATTERN), G1 points as 64 bytes (x ‖ y),
integers as 8-byte big-endian, field elements as 32-byte big-endian (< r), digests
and keys as raw 32 bytes, signatures as raw 64 bytes. There is no free-form field, so no entry can
carry a personal attribute: the ledger holds identifiers of organisations, scope names (chosen by
verifiers, the same for every holder), commitments, nullifiers, digests and signatures.
Decoding is strict (exact length, canonical values), so every entry has one encoding.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from enum import IntEnum

from zkcore.curve import G1
from zkcore.errors import InvalidEncoding, ZkError
from zkcore.params import R

VERSION = 1
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}")


class Kind(IntEnum):
    ISSUER = 1
    CIRCUIT_KEY = 2
    COMMITMENT = 3
    REVOCATION = 4
    NULLIFIER = 5
    ISSUER_ROOT = 6
    SCOPE_NAME = 7
    CLAIM = 8
    # The issuer's signed statements (service.ledger.statements), each after the change it signs.
    ISSUANCE_SIGNED = 20
    REVOCATION_SIGNED = 21
    ISSUER_KEY_ROTATED = 22


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidEncoding(f"{what} must match {ID_PATTERN.pattern}")
    return value


def check_scope_name(value: object, what: str = "scope name") -> str:
    if not isinstance(value, str) or not SCOPE_PATTERN.fullmatch(value):
        raise InvalidEncoding(f"{what} must match {SCOPE_PATTERN.pattern}")
    return value


def _check_g1(value: object, what: str) -> G1:
    if not isinstance(value, G1):
        raise InvalidEncoding(f"{what} must be a G1 point")
    return value


def _check_element(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < R:
        raise InvalidEncoding(f"{what} must be a field element")
    return value


def _check_bytes32(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise InvalidEncoding(f"{what} must be 32 bytes")
    return value


def _check_bytes64(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 64:
        raise InvalidEncoding(f"{what} must be 64 bytes")
    return value


def _check_u64(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 64:
        raise InvalidEncoding(f"{what} must be an unsigned 64-bit integer")
    return value


@dataclass(frozen=True)
class IssuerRegistered:
    issuer: str
    public_key: bytes  # Ed25519, raw 32 bytes

    kind = Kind.ISSUER


@dataclass(frozen=True)
class CircuitKeyRegistered:
    circuit: str
    vk_digest: bytes  # sha256 of the canonical verification key JSON

    kind = Kind.CIRCUIT_KEY


@dataclass(frozen=True)
class Commitment:
    issuer: str
    leaf_index: int
    leaf: int

    kind = Kind.COMMITMENT


@dataclass(frozen=True)
class Revocation:
    issuer: str
    leaf_index: int

    kind = Kind.REVOCATION


@dataclass(frozen=True)
class NullifierUsed:
    scope: int  # circuits.credentials.scope_id of the scope name
    nullifier: int
    verifier: str
    receipt_digest: bytes  # sha256 of the verification receipt's body

    kind = Kind.NULLIFIER


@dataclass(frozen=True)
class IssuerRoot:
    issuer: str
    tree_size: int
    root: int

    kind = Kind.ISSUER_ROOT


@dataclass(frozen=True)
class ScopeNamed:
    """A scope's name in clear, written with the first nullifier used in it (scope = scope_id(name))."""

    name: str

    kind = Kind.SCOPE_NAME


@dataclass(frozen=True)
class ClaimCommitment:
    """A Pedersen commitment (zkcore.pedersen) to an accepted claim's amount in cents, owed by `payer`;
    written right after the claim's nullifier, in its transaction. The opening goes to the verifier only."""

    payer: str
    commitment: G1

    kind = Kind.CLAIM



@dataclass(frozen=True)
class IssuanceSigned:
    """The issuer's signature over the `count` commitments just before it (statements.issuance_statement)."""

    issuer: str
    first_leaf: int
    count: int
    leaves_digest: bytes
    root: int
    signature: bytes  # Ed25519, by the issuer's current key

    kind = Kind.ISSUANCE_SIGNED


@dataclass(frozen=True)
class RevocationSigned:
    """The issuer's signature over the revocation just before it (statements.revocation_statement)."""

    issuer: str
    leaf_index: int
    root: int
    signature: bytes

    kind = Kind.REVOCATION_SIGNED


@dataclass(frozen=True)
class IssuerKeyRotated:
    """The issuer's next key, signed by the key it replaces (statements.rotation_statement)."""

    issuer: str
    rotation: int
    public_key: bytes
    signature: bytes

    kind = Kind.ISSUER_KEY_ROTATED



Entry = (IssuerRegistered | CircuitKeyRegistered | Commitment | Revocation | NullifierUsed | IssuerRoot | ScopeNamed
         | ClaimCommitment | IssuanceSigned | RevocationSigned | IssuerKeyRotated)

# Per kind: the fields in order and their codec ("id", "u64", "element", "bytes32").
_LAYOUT: dict[Kind, tuple[type, tuple[tuple[str, str], ...]]] = {
    Kind.ISSUER: (IssuerRegistered, (("issuer", "id"), ("public_key", "bytes32"))),
    Kind.CIRCUIT_KEY: (CircuitKeyRegistered, (("circuit", "id"), ("vk_digest", "bytes32"))),
    Kind.COMMITMENT: (Commitment, (("issuer", "id"), ("leaf_index", "u64"), ("leaf", "element"))),
    Kind.REVOCATION: (Revocation, (("issuer", "id"), ("leaf_index", "u64"))),
    Kind.NULLIFIER: (NullifierUsed, (("scope", "element"), ("nullifier", "element"), ("verifier", "id"),
                                     ("receipt_digest", "bytes32"))),
    Kind.ISSUER_ROOT: (IssuerRoot, (("issuer", "id"), ("tree_size", "u64"), ("root", "element"))),
    Kind.SCOPE_NAME: (ScopeNamed, (("name", "scope"),)),
    Kind.CLAIM: (ClaimCommitment, (("payer", "id"), ("commitment", "g1"))),
    Kind.ISSUANCE_SIGNED: (IssuanceSigned, (("issuer", "id"), ("first_leaf", "u64"), ("count", "u64"),
                                            ("leaves_digest", "bytes32"), ("root", "element"),
                                            ("signature", "bytes64"))),
    Kind.REVOCATION_SIGNED: (RevocationSigned, (("issuer", "id"), ("leaf_index", "u64"), ("root", "element"),
                                                ("signature", "bytes64"))),
    Kind.ISSUER_KEY_ROTATED: (IssuerKeyRotated, (("issuer", "id"), ("rotation", "u64"), ("public_key", "bytes32"),
                                                 ("signature", "bytes64"))),
}
_CHECK = {"id": check_id, "scope": check_scope_name, "u64": _check_u64, "element": _check_element,
          "bytes32": _check_bytes32, "bytes64": _check_bytes64, "g1": _check_g1}
_WIDTH = {"u64": 8, "element": 32, "bytes32": 32, "bytes64": 64, "g1": 64}


def encode(entry: Entry) -> bytes:
    _, fields = _LAYOUT[entry.kind]
    out = bytearray((VERSION, entry.kind))
    for name, codec in fields:
        value = _CHECK[codec](getattr(entry, name), name)
        if codec in ("id", "scope"):
            out.append(len(value))
            out += value.encode()
        elif codec == "u64":
            out += struct.pack(">Q", value)
        elif codec == "element":
            out += value.to_bytes(32, "big")
        elif codec == "g1":
            out += value.to_bytes()
        else:
            out += value
    return bytes(out)


def decode(data: bytes) -> Entry:
    """The entry `data` encodes; InvalidEncoding unless it is the one canonical encoding."""
    if not isinstance(data, (bytes, bytearray)) or len(data) < 2:
        raise InvalidEncoding("an entry has a version and a kind byte")
    if data[0] != VERSION:
        raise InvalidEncoding(f"unknown entry version {data[0]}")
    try:
        cls, fields = _LAYOUT[Kind(data[1])]
    except ValueError:
        raise InvalidEncoding(f"unknown entry kind {data[1]}") from None
    values, pos = {}, 2
    for name, codec in fields:
        if codec in ("id", "scope"):
            n = data[pos] if pos < len(data) else 0
            raw = bytes(data[pos + 1 : pos + 1 + n])
            if n == 0 or len(raw) != n:
                raise InvalidEncoding(f"entry field {name} is truncated")
            try:
                values[name] = _CHECK[codec](raw.decode("ascii"), name)
            except UnicodeDecodeError:
                raise InvalidEncoding(f"entry field {name} is not ASCII") from None
            pos += 1 + n
            continue
        width = _WIDTH[codec]
        raw = bytes(data[pos : pos + width])
        if len(raw) != width:
            raise InvalidEncoding(f"entry field {name} is truncated")
        if codec == "g1":
            try:
                value = G1.from_bytes(raw)  # canonical coordinates, on the curve
            except ZkError as err:
                raise InvalidEncoding(f"entry field {name}: {err}") from None
        else:
            value = int.from_bytes(raw, "big") if codec in ("u64", "element") else raw
        values[name] = _CHECK[codec](value, name)
        pos += width
    if pos != len(data):
        raise InvalidEncoding("trailing bytes after the entry")
    return cls(**values)
