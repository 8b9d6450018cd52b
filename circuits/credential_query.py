"""The universal credential query circuit: one setup per (tree depth, Q, M) answers every question.

It proves, for a secret credential and holder secret s:
  - leaf = Poseidon(schema_id, Poseidon(s), a_0..a_7, expiry, nonce) is in the tree under `root`;
  - each of Q queries (slot, operator, values[M]) holds for a_slot;
  - today ≤ expiry (the credential is valid through its expiry day);
  - nullifier = Poseidon(s, scope);
  - the proof is bound to `challenge`.

Public inputs, in this order (snarkjs's public signals):
    nullifier, root, schema_id, queries_hash, today, scope, challenge

The Q·(M + 1) query words are hashed into `queries_hash` (see `hash_queries`), so the verifying
key and the verifier's work do not grow with Q and M. Slot values, today, expiry and the first
two values of every query are range-checked to 64 bits, so comparisons cannot wrap; IN / NIN use
all M values (a request pads a short list by repeating its last value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache, lru_cache

from zkcore.errors import InvalidEncoding
from zkcore.poseidon import poseidon
from zkcore.r1cs import LinearCombination

from .credentials import SLOT_BITS, SLOTS, check_slot_value
from .defaults import DEFAULT_DEPTH, DEFAULT_M, DEFAULT_Q  # noqa: F401 - the circuit's default shape, re-exported
from .dsl import API, Circuit, CompiledCircuit, Public, Secret
from .gadgets import merkle_root
from .gadgets import poseidon as poseidon_gadget

PUBLIC_INPUTS = ("nullifier", "root", "schema_id", "queries_hash", "today", "scope", "challenge")
_OP_BITS = 4
_SLOT_INDEX_BITS = 3


class Op(IntEnum):
    NOOP = 0
    EQ = 1
    NE = 2
    LT = 3
    LTE = 4
    GT = 5
    GTE = 6
    IN = 7
    NIN = 8
    BETWEEN = 9  # values[0] ≤ x ≤ values[1]
    NOT_BETWEEN = 10

    @property
    def arity(self) -> tuple[int, int | None]:
        """How many values a query with this operator takes: (at least, at most), None meaning up to M."""
        return _ARITY.get(self, (1, 1))


_ARITY = {Op.NOOP: (0, 0), Op.BETWEEN: (2, 2), Op.NOT_BETWEEN: (2, 2), Op.IN: (1, None), Op.NIN: (1, None)}


@dataclass(frozen=True)
class Query:
    """`slot operator values`; values hold M entries once padded (`padded`)."""

    slot: int
    op: Op
    values: tuple[int, ...] = ()

    def __post_init__(self):
        if not isinstance(self.slot, int) or not 0 <= self.slot < SLOTS:
            raise InvalidEncoding(f"query slot must be in 0..{SLOTS - 1}")
        try:
            object.__setattr__(self, "op", Op(self.op))
        except ValueError:
            raise InvalidEncoding(f"unknown query operator {self.op!r}") from None
        object.__setattr__(self, "values", tuple(self.values))
        for v in self.values:
            check_slot_value(v, "query value")
        needed = {Op.NOOP: 0, Op.BETWEEN: 2, Op.NOT_BETWEEN: 2}.get(self.op, 1)
        if len(self.values) < needed:
            raise InvalidEncoding(f"{self.op.name} needs {needed} value(s)")
        if self.op in (Op.BETWEEN, Op.NOT_BETWEEN) and len(self.values) != 2:
            raise InvalidEncoding(f"{self.op.name} takes exactly 2 values")
        if self.op not in (Op.IN, Op.NIN, Op.BETWEEN, Op.NOT_BETWEEN) and len(self.values) > needed:
            raise InvalidEncoding(f"{self.op.name} takes {needed} value(s)")

    def padded(self, m: int) -> tuple[int, ...]:
        if len(self.values) > m:
            raise InvalidEncoding(f"a query takes at most {m} values")
        if not self.values:
            return (0,) * m
        return self.values + (self.values[-1],) * (m - len(self.values))

    def holds(self, x: int) -> bool:
        """The reference semantics the circuit enforces."""
        v = self.values
        return {
            Op.NOOP: lambda: True,
            Op.EQ: lambda: x == v[0],
            Op.NE: lambda: x != v[0],
            Op.LT: lambda: x < v[0],
            Op.LTE: lambda: x <= v[0],
            Op.GT: lambda: x > v[0],
            Op.GTE: lambda: x >= v[0],
            Op.IN: lambda: x in v,
            Op.NIN: lambda: x not in v,
            Op.BETWEEN: lambda: v[0] <= x <= v[1],
            Op.NOT_BETWEEN: lambda: not v[0] <= x <= v[1],
        }[self.op]()


NOOP = Query(0, Op.NOOP)


def query_words(queries: Sequence[Query], q: int, m: int) -> list[int]:
    """Q·(M + 1) words: per query slot + 8·op, then its M padded values (NOOP fills missing queries)."""
    if len(queries) > q:
        raise InvalidEncoding(f"at most {q} queries")
    words = []
    for query in list(queries) + [NOOP] * (q - len(queries)):
        words.append(query.slot + (1 << _SLOT_INDEX_BITS) * int(query.op))
        words.extend(query.padded(m))
    return words


def _sponge(words: Sequence, hash16) -> object:
    """Fold: h = H(words[0:16]), then h = H(h, next ≤ 15 words) until all are absorbed."""
    h, rest = hash16(list(words[:16])), list(words[16:])
    while rest:
        h, rest = hash16([h] + rest[:15]), rest[15:]
    return h


def hash_queries(queries: Sequence[Query], q: int = DEFAULT_Q, m: int = DEFAULT_M) -> int:
    return _hash_queries(tuple(queries), q, m)


@lru_cache(maxsize=4096)
def _hash_queries(queries: tuple[Query, ...], q: int, m: int) -> int:
    # Three Poseidons of width ≤ 17; verifiers ask the same few questions again and again.
    return _sponge(query_words(queries, q, m), poseidon)


def _mux(api: API, bits: Sequence, items: Sequence, name: str) -> LinearCombination:
    """items[index] for index given by its bits (LSB first); len(items) = 2^len(bits)."""
    level = [LinearCombination.of(x) for x in items]
    for i, bit in enumerate(bits):
        level = [a + api.mul(bit, b - a, f"{name}: mux level {i}") for a, b in zip(level[0::2], level[1::2])]
    return level[0]


def _query(api: API, slots: Sequence, slot, op, values: Sequence, name: str) -> None:
    """Assert that query (slot, op, values) holds for slots[slot]."""
    x = _mux(api, api.to_bits(slot, _SLOT_INDEX_BITS, f"{name}: slot"), slots, f"{name}: slot")
    v0, v1 = values[0], values[1]
    for what, v in (("x", x), ("values[0]", v0), ("values[1]", v1)):
        api.range_check(v, SLOT_BITS, f"{name}: {what} fits 64 bits")
    # With a, b < 2^64, a − b + 2^64 fits 65 bits; its top bit is 1 exactly when a ≥ b.
    x_lt_v0 = 1 - api.to_bits(x - v0 + (1 << SLOT_BITS), SLOT_BITS + 1, f"{name}: x − v0")[SLOT_BITS]
    v1_lt_x = 1 - api.to_bits(v1 - x + (1 << SLOT_BITS), SLOT_BITS + 1, f"{name}: v1 − x")[SLOT_BITS]
    eq = api.is_equal(x, v0, f"{name}: x = v0")
    product = LinearCombination.of(x) - values[0]
    for j, v in enumerate(values[1:], 1):
        product = api.mul(product, x - v, f"{name}: IN factor {j}")
    member = api.is_zero(product, f"{name}: x in values")
    between = api.mul(1 - x_lt_v0, 1 - v1_lt_x, f"{name}: v0 ≤ x ≤ v1")
    results = {
        Op.NOOP: 1,
        Op.EQ: eq,
        Op.NE: 1 - eq,
        Op.LT: x_lt_v0,
        Op.LTE: x_lt_v0 + eq,
        Op.GT: 1 - x_lt_v0 - eq,
        Op.GTE: 1 - x_lt_v0,
        Op.IN: member,
        Op.NIN: 1 - member,
        Op.BETWEEN: between,
        Op.NOT_BETWEEN: 1 - between,
    }
    table = [results.get(code, 0) for code in range(1 << _OP_BITS)]  # unknown codes can never hold
    holds = _mux(api, api.to_bits(op, _OP_BITS, f"{name}: operator"), table, f"{name}: operator")
    api.assert_equal(holds, 1, f"{name}: holds")


class CredentialQuery(Circuit):
    """The statement in the module docstring, for trees of `depth` and Q queries of M values.

    `credential_query_circuit(depth, q, m)` compiles a subclass with those class attributes."""

    depth, q, m = DEFAULT_DEPTH, DEFAULT_Q, DEFAULT_M

    nullifier: Public
    root: Public
    schema_id: Public
    queries_hash: Public
    today: Public
    scope: Public
    challenge: Public
    secret: Secret
    slots: Secret[SLOTS]
    expiry: Secret
    nonce: Secret
    siblings: Secret[depth]
    index_bits: Secret[depth]
    query_slots: Secret[q]
    query_ops: Secret[q]
    values: Secret[q * m]

    def define(self, api: API) -> None:
        identity = poseidon_gadget(api, [self.secret], "id commitment")
        leaf = poseidon_gadget(api, [self.schema_id, identity, *self.slots, self.expiry, self.nonce], "leaf")
        api.assert_equal(merkle_root(api, leaf, self.siblings, self.index_bits), self.root, "leaf is in the tree")
        api.assert_equal(poseidon_gadget(api, [self.secret, self.scope], "nullifier"), self.nullifier, "nullifier")
        api.assert_le(self.today, self.expiry, SLOT_BITS, "not expired")
        api.mul(self.challenge, self.challenge, "challenge is bound")
        words = []
        m = self.m
        for k in range(self.q):
            values = self.values[k * m : (k + 1) * m]
            _query(api, self.slots, self.query_slots[k], self.query_ops[k], values, f"query {k}")
            words.append(self.query_slots[k] + (1 << _SLOT_INDEX_BITS) * self.query_ops[k])
            words.extend(values)
        digest = _sponge(words, lambda chunk: poseidon_gadget(api, chunk, "queries hash"))
        api.assert_equal(digest, self.queries_hash, "queries hash")


@cache
def credential_query_circuit(depth: int = DEFAULT_DEPTH, q: int = DEFAULT_Q, m: int = DEFAULT_M) -> CompiledCircuit:
    """The compiled circuit for trees of `depth`, Q queries of M values (compiled once per process)."""
    if not 1 <= depth <= 32 or not 1 <= q <= 16 or not 2 <= m <= 16:
        raise ValueError("depth must be in 1..32, Q in 1..16 and M in 2..16")
    sized = type(f"CredentialQuery_d{depth}_q{q}_m{m}", (CredentialQuery,), {"depth": depth, "q": q, "m": m})
    return sized.compile()
