"""Proof requests (the verifier's question) and presentations (the holder's answer).

A `ProofRequest` names a schema, the issuers whose trees are accepted, up to Q queries, a scope
(whose nullifier makes the claim one-use) and a fresh challenge. A `Presentation` is the Groth16
proof and its public signals in snarkjs form, plus the issuer whose root it used: nothing personal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from zkcore.errors import InvalidEncoding, Unsatisfied
from zkcore.field import parse_decimal
from zkcore.groth16 import Proof, ProvingKey, VerifyingKey, prove, public_inputs_from_snarkjs, verify
from zkcore.groth16.keys import public_inputs_to_snarkjs
from zkcore.merkle.poseidon_tree import MerklePath, root_from_path
from zkcore.params import R

from . import credentials as cr
from .credential_query import (
    DEFAULT_M,
    DEFAULT_Q,
    NOOP,
    PUBLIC_INPUTS,
    Op,
    Query,
    credential_query_circuit,
    hash_queries,
)

CHALLENGE_BITS = 248


@dataclass(frozen=True)
class ProofRequest:
    schema: str
    issuers: tuple[str, ...]
    queries: tuple[Query, ...]
    scope: str
    challenge: int
    today: dt.date
    q: int = DEFAULT_Q
    m: int = DEFAULT_M

    def __post_init__(self):
        cr.schema(self.schema)
        object.__setattr__(self, "issuers", tuple(self.issuers))
        object.__setattr__(self, "queries", tuple(self.queries))
        if not self.issuers or not all(isinstance(i, str) and i for i in self.issuers):
            raise InvalidEncoding("a request names at least one issuer")
        if not isinstance(self.scope, str) or not self.scope:
            raise InvalidEncoding("a request needs a scope")
        cr.scope_id(self.scope)  # refuses text that has no UTF-8 encoding
        if len(self.queries) > self.q or any(len(x.values) > self.m for x in self.queries):
            raise InvalidEncoding(f"a request holds at most {self.q} queries of at most {self.m} values")
        parse_decimal(self.challenge, R, "challenge")
        if not isinstance(self.today, dt.date):
            raise InvalidEncoding("today must be a date")

    @classmethod
    def new(cls, schema: cr.Schema, issuers: Sequence[str], queries: Sequence[Query], scope: str,
            today: dt.date | None = None, **circuit) -> ProofRequest:
        """A request with a fresh random challenge."""
        return cls(schema.name, tuple(issuers), tuple(queries), scope, secrets.randbits(CHALLENGE_BITS),
                   today or dt.date.today(), **circuit)

    @property
    def public_today(self) -> int:
        return cr.encode_date(self.today)

    @cached_property
    def _request_inputs(self) -> tuple[int, ...]:
        # hashing the queries costs three Poseidons: once per request, not once per presentation
        return (cr.schema(self.schema).id, hash_queries(self.queries, self.q, self.m), self.public_today,
                cr.scope_id(self.scope), self.challenge)

    def public_inputs(self, nullifier: int, root: int) -> list[int]:
        """The circuit's public inputs (credential_query.PUBLIC_INPUTS order) for this request."""
        return [nullifier, root, *self._request_inputs]

    def to_json(self) -> dict:
        return {
            "schema": self.schema,
            "issuers": list(self.issuers),
            "queries": [{"slot": q.slot, "op": q.op.name, "values": [str(v) for v in q.values]} for q in self.queries],
            "scope": self.scope,
            "challenge": str(self.challenge),
            "today": self.today.isoformat(),
            "q": self.q,
            "m": self.m,
        }

    @classmethod
    def from_json(cls, obj: Mapping) -> ProofRequest:
        try:
            queries = []
            for item in obj["queries"]:
                op = item["op"]
                if not isinstance(op, str) or op not in Op.__members__:
                    raise InvalidEncoding(f"unknown query operator {op!r}")
                values = tuple(parse_decimal(v, R, "query value") for v in item.get("values", ()))
                queries.append(Query(int(item["slot"]), Op[op], values))
            return cls(
                schema=str(obj["schema"]),
                issuers=tuple(str(i) for i in obj["issuers"]),
                queries=tuple(queries),
                scope=str(obj["scope"]),
                challenge=parse_decimal(obj["challenge"], R, "challenge"),
                today=dt.date.fromisoformat(str(obj["today"])),
                q=int(obj.get("q", DEFAULT_Q)),
                m=int(obj.get("m", DEFAULT_M)),
            )
        except InvalidEncoding:
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidEncoding(f"malformed proof request: {e}") from None


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_at_least(years: int, today: dt.date, issuers: Sequence[str], scope: str) -> ProofRequest:
    """Born on or before `today` minus `years` calendar years."""
    slot = cr.PERSON.slot("birthdate")
    cutoff = cr.encode_date(years_before(today, years))
    return ProofRequest.new(cr.PERSON, issuers, [Query(slot, Op.LTE, (cutoff,))], scope, today)


def _coverage(day: dt.date) -> list[Query]:
    s, d = cr.INSURANCE, cr.encode_date(day)
    return [Query(s.slot("insured_from"), Op.LTE, (d,)), Query(s.slot("insured_until"), Op.GTE, (d,))]


def insured_on(day: dt.date, today: dt.date, issuers: Sequence[str], scope: str) -> ProofRequest:
    return ProofRequest.new(cr.INSURANCE, issuers, _coverage(day), scope, today)


def reimbursable(covered_plans: Sequence[int], claim_cents: int, service_day: dt.date, today: dt.date,
                 issuers: Sequence[str], scope: str) -> ProofRequest:
    """plan IN covered ∧ annual cap ≥ claim ∧ insured_from ≤ service day ≤ insured_until: one proof."""
    s = cr.INSURANCE
    queries = [Query(s.slot("plan"), Op.IN, tuple(covered_plans)),
               Query(s.slot("annual_cap_cents"), Op.GTE, (claim_cents,)), *_coverage(service_day)]
    return ProofRequest.new(s, issuers, queries, scope, today)


@dataclass(frozen=True)
class PresetParam:
    """A preset's parameter. `kind` fixes its type and how it is written: `integer` a number in min..max,
    `date` a day (today when not given), `money` integer cents (0 ≤ x < 2⁶⁴), `codes` 1..max_items slot values."""

    name: str
    kind: str
    required: bool = True
    min: int | None = None
    max: int | None = None
    max_items: int | None = None

    def to_json(self, value) -> object:
        """The value as stored beside a request and said in words (handoff.about): dates ISO, big numbers text."""
        if self.kind == "date":
            return value.isoformat()
        if self.kind == "money":
            return str(value)
        if self.kind == "codes":
            return [str(v) for v in value]
        return value


@dataclass(frozen=True)
class Preset:
    """A question verifiers ask often: its schema, its parameters, and the request it builds.

    `make(today, issuers, scope, **params)` receives every parameter, dates defaulted to today."""

    name: str
    schema: cr.Schema
    params: tuple[PresetParam, ...]
    make: Callable[..., ProofRequest]

    def missing(self, given: Mapping[str, object]) -> list[str]:
        return [p.name for p in self.params if p.required and given.get(p.name) is None]

    def resolve(self, given: Mapping[str, object], today: dt.date) -> dict:
        """Every parameter's value, a date not given being today (its missing() must be empty)."""
        return {p.name: today if p.kind == "date" and given.get(p.name) is None else given.get(p.name)
                for p in self.params}

    def build(self, given: Mapping[str, object], today: dt.date, issuers: Sequence[str], scope: str) -> ProofRequest:
        return self.make(today, issuers, scope, **self.resolve(given, today))

    def to_json(self, resolved: Mapping[str, object]) -> dict:
        return {p.name: p.to_json(resolved[p.name]) for p in self.params}


_DAY = PresetParam("day", "date", required=False)

# The preset registry: the API's schema and checks, the CLI and the words (service/presets.py) derive from it.
PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("age_at_least", cr.PERSON, (PresetParam("years", "integer", min=0, max=150),),
           lambda today, issuers, scope, years: age_at_least(years, today, issuers, scope)),
    Preset("insured_on", cr.INSURANCE, (_DAY,),
           lambda today, issuers, scope, day: insured_on(day, today, issuers, scope)),
    Preset("reimbursable", cr.INSURANCE,
           (PresetParam("claim_cents", "money", min=0), PresetParam("covered_plans", "codes", max_items=8), _DAY),
           lambda today, issuers, scope, claim_cents, covered_plans, day:
           reimbursable(covered_plans, claim_cents, day, today, issuers, scope)),
)}


@dataclass(frozen=True)
class Presentation:
    issuer: str
    proof: dict
    public_signals: list[str] = field(default_factory=list)

    @property
    def nullifier(self) -> int:
        return parse_decimal(self.public_signals[0], R, "nullifier") if self.public_signals else 0

    @property
    def root(self) -> int:
        return parse_decimal(self.public_signals[1], R, "root") if len(self.public_signals) > 1 else 0

    def to_json(self) -> dict:
        return {"issuer": self.issuer, "proof": self.proof, "public_signals": list(self.public_signals)}

    @classmethod
    def from_json(cls, obj: Mapping) -> Presentation:
        try:
            issuer, proof, signals = obj["issuer"], obj["proof"], obj["public_signals"]
        except (KeyError, TypeError):
            raise InvalidEncoding("a presentation has issuer, proof and public_signals") from None
        if not isinstance(issuer, str) or not isinstance(proof, dict) or not isinstance(signals, list):
            raise InvalidEncoding("a presentation has issuer, proof and public_signals")
        return cls(issuer, proof, [str(s) for s in signals])


def circuit_inputs(credential: cr.Credential, secret: int, path: MerklePath, request: ProofRequest) -> dict:
    """The credential query circuit's named inputs for answering `request` with `credential`."""
    nullifier = cr.nullifier(secret, cr.scope_id(request.scope))
    public = dict(zip(PUBLIC_INPUTS, request.public_inputs(nullifier, root_from_path(credential.leaf, path))))
    queries = list(request.queries) + [NOOP] * (request.q - len(request.queries))
    return dict(
        **public, secret=secret, slots=list(credential.slots), expiry=credential.expiry, nonce=credential.nonce,
        siblings=list(path.siblings), index_bits=list(path.index_bits),
        query_slots=[x.slot for x in queries], query_ops=[int(x.op) for x in queries],
        values=[v for x in queries for v in x.padded(request.m)],
    )


def prove_request(credential: cr.Credential, secret: int, path: MerklePath, request: ProofRequest,
                  pk: ProvingKey, rng=None) -> Presentation:
    """The holder's side: prove that `credential` answers `request` (raises Unsatisfied if it does not)."""
    if credential.schema != request.schema:
        raise Unsatisfied(f"the request asks for a {request.schema} credential, not {credential.schema}")
    if credential.issuer not in request.issuers:
        raise Unsatisfied(f"the request does not accept issuer {credential.issuer}")
    if cr.id_commitment(secret) != credential.id_commitment:
        raise Unsatisfied("the secret does not match the credential's identity commitment")
    if request.public_today > credential.expiry:
        raise Unsatisfied("the credential has expired")
    for k, query in enumerate(request.queries):
        if not query.holds(credential.slots[query.slot]):
            raise Unsatisfied(f"query {k} ({query.op.name} on slot {query.slot}) does not hold")
    circuit = credential_query_circuit(len(path.siblings), request.q, request.m)
    witness = circuit.witness(**circuit_inputs(credential, secret, path, request))
    proof = prove(pk, witness, rng)
    return Presentation(credential.issuer, proof.to_snarkjs(), public_inputs_to_snarkjs(circuit.public_inputs(witness)))


def check_presentation(request: ProofRequest, presentation: Presentation,
                       accepted_roots: Mapping[str, Collection[int]], proof: Proof | None = None
                       ) -> tuple[Proof, list[int]] | None:
    """The proof and public inputs if the presentation answers `request` from an accepted root, else None.

    Malformed encodings raise InvalidEncoding (a ZkError). `proof`: the presentation's proof if
    the caller already parsed (and so validated) it."""
    proof = proof or Proof.from_snarkjs(presentation.proof)
    signals = public_inputs_from_snarkjs(presentation.public_signals)
    if len(signals) != len(PUBLIC_INPUTS):
        raise InvalidEncoding(f"a presentation has {len(PUBLIC_INPUTS)} public signals")
    if presentation.issuer not in request.issuers:
        return None
    if signals[1] not in accepted_roots.get(presentation.issuer, ()):
        return None
    if signals != request.public_inputs(signals[0], signals[1]):
        return None
    return proof, signals


def verify_presentation(vk: VerifyingKey, request: ProofRequest, presentation: Presentation,
                        accepted_roots: Mapping[str, Collection[int]]) -> bool:
    """True iff the proof answers exactly this request (challenge, scope, date, queries) from an accepted root."""
    checked = check_presentation(request, presentation, accepted_roots)
    if checked is None:
        return False
    return verify(vk, *checked)
