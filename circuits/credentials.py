"""Credentials: schemas of eight 64-bit attribute slots, the holder's secret and the committed leaf.

    leaf = Poseidon(schema_id, id_commitment, a_0, …, a_7, expiry, nonce),  id_commitment = Poseidon(s)

Only the leaf reaches the issuer's tree on the ledger; the holder keeps the attributes, `nonce`
(which hides the leaf from anyone guessing attribute values) and `s`.

Encodings keep order so that circuit comparisons mean what they say: a date is its day count
since 1970-01-01 plus DATE_BIAS (2³¹), so birthdates before 1970 stay non-negative; money is
integer cents; codes (plan, region, country) are integers. Every slot value is in [0, 2⁶⁴).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from zkcore.errors import InvalidEncoding
from zkcore.params import R
from zkcore.poseidon import poseidon

SLOTS = 8
SLOT_BITS = 64
SLOT_LIMIT = 1 << SLOT_BITS
EPOCH = dt.date(1970, 1, 1)
DATE_BIAS = 1 << 31


class AttributeKind(Enum):
    DATE = "date"
    MONEY = "money"  # integer cents
    CODE = "code"  # an opaque integer: plan id, region, ISO 3166 numeric country


def encode_date(day: dt.date) -> int:
    return (day - EPOCH).days + DATE_BIAS


def decode_date(value: int) -> dt.date:
    return EPOCH + dt.timedelta(days=value - DATE_BIAS)


def check_slot_value(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < SLOT_LIMIT:
        raise InvalidEncoding(f"{what} must be an integer in [0, 2^64)")
    return value


def encode(kind: AttributeKind, value: object, what: str) -> int:
    """A slot value from a date, cents or a code (an already-encoded int passes through checked)."""
    if kind is AttributeKind.DATE and isinstance(value, dt.date):
        return encode_date(value)
    return check_slot_value(value, what)


@dataclass(frozen=True)
class Schema:
    """A named list of at most eight typed attributes; its id is the first 8 bytes of SHA-256(name)."""

    name: str
    attributes: tuple[tuple[str, AttributeKind], ...]

    def __post_init__(self):
        if not 1 <= len(self.attributes) <= SLOTS:
            raise ValueError(f"a schema has 1..{SLOTS} attributes")

    @property
    def id(self) -> int:
        return int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:8], "big")

    def slot(self, attribute: str) -> int:
        for i, (name, _) in enumerate(self.attributes):
            if name == attribute:
                return i
        raise InvalidEncoding(f"schema {self.name} has no attribute {attribute!r}")

    def kind(self, attribute: str) -> AttributeKind:
        return self.attributes[self.slot(attribute)][1]

    def encode(self, values: Mapping[str, object]) -> tuple[int, ...]:
        """The eight slot values; every attribute must be given, unused slots are 0."""
        names = [name for name, _ in self.attributes]
        if set(values) != set(names):
            raise InvalidEncoding(f"{self.name} needs exactly the attributes {names}")
        slots = [encode(kind, values[name], f"{self.name}.{name}") for name, kind in self.attributes]
        return tuple(slots + [0] * (SLOTS - len(slots)))


PERSON = Schema("person.v1", (("birthdate", AttributeKind.DATE), ("country", AttributeKind.CODE)))
INSURANCE = Schema(
    "insurance.v1",
    (
        ("plan", AttributeKind.CODE),
        ("insured_from", AttributeKind.DATE),
        ("insured_until", AttributeKind.DATE),
        ("annual_cap_cents", AttributeKind.MONEY),
        ("region", AttributeKind.CODE),
    ),
)
SCHEMAS = {s.name: s for s in (PERSON, INSURANCE)}


def schema(name: str) -> Schema:
    try:
        return SCHEMAS[name]
    except KeyError:
        raise InvalidEncoding(f"unknown schema {name!r}") from None


def new_secret() -> int:
    """A holder secret: uniform in [1, r)."""
    return 1 + secrets.randbelow(R - 1)


def id_commitment(secret: int) -> int:
    return poseidon([secret])


def nullifier(secret: int, scope: int) -> int:
    return poseidon([secret, scope])


def scope_id(scope: str) -> int:
    """A scope name ("insurance-enrolment/2026") as a field element: SHA-256 truncated to 248 bits."""
    try:
        encoded = scope.encode()
    except UnicodeEncodeError:
        raise InvalidEncoding("a scope must be valid Unicode text") from None
    return int.from_bytes(hashlib.sha256(b"zkelig scope\x00" + encoded).digest()[:31], "big")


@dataclass(frozen=True)
class Credential:
    """What the holder receives: the encoded slots, expiry, nonce and where the leaf sits."""

    schema: str
    issuer: str
    id_commitment: int
    slots: tuple[int, ...]
    expiry: int  # an encoded date: valid through that day
    nonce: int
    leaf_index: int | None = field(default=None, compare=False)

    def __post_init__(self):
        schema(self.schema)
        if len(self.slots) != SLOTS:
            raise InvalidEncoding(f"a credential has {SLOTS} slots")
        for i, v in enumerate(self.slots):
            check_slot_value(v, f"slot {i}")
        check_slot_value(self.expiry, "expiry")
        for name in ("id_commitment", "nonce"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 0 <= v < R:
                raise InvalidEncoding(f"{name} must be a field element")

    @property
    def schema_id(self) -> int:
        return schema(self.schema).id

    @property
    def leaf(self) -> int:
        return poseidon([self.schema_id, self.id_commitment, *self.slots, self.expiry, self.nonce])

    def attribute(self, name: str) -> int:
        return self.slots[schema(self.schema).slot(name)]

    def to_json(self) -> dict:
        return {
            "schema": self.schema,
            "issuer": self.issuer,
            "id_commitment": str(self.id_commitment),
            "slots": [str(v) for v in self.slots],
            "expiry": str(self.expiry),
            "nonce": str(self.nonce),
            "leaf_index": self.leaf_index,
        }

    @classmethod
    def from_json(cls, obj: Mapping) -> Credential:
        try:
            return cls(
                schema=str(obj["schema"]),
                issuer=str(obj["issuer"]),
                id_commitment=int(obj["id_commitment"]),
                slots=tuple(int(v) for v in obj["slots"]),
                expiry=int(obj["expiry"]),
                nonce=int(obj["nonce"]),
                leaf_index=None if obj.get("leaf_index") is None else int(obj["leaf_index"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidEncoding(f"malformed credential: {e}") from None


def issue(schema_: Schema, issuer: str, holder_id_commitment: int, values: Mapping[str, object],
          expiry: dt.date | int, nonce: int | None = None) -> Credential:
    """The issuer's side: encode attributes and pick a fresh nonce."""
    return Credential(
        schema=schema_.name,
        issuer=issuer,
        id_commitment=holder_id_commitment,
        slots=schema_.encode(values),
        expiry=encode(AttributeKind.DATE, expiry, "expiry"),
        nonce=secrets.randbelow(R) if nonce is None else nonce,
    )
