"""Reimbursed totals without claims: Pedersen commitments on the ledger, period totals signed by
the payer, and the public check Σ Cᵢ = A·G + R·H.

Trust model. When a `reimbursable` proof is accepted the service draws r at random, records
C = a·G + r·H (zkcore.pedersen) for the payer (the insurer whose credential answered) right after
the claim's nullifier, and returns the opening (a = claimed cents, r) to the verifier only, in its
receipt; it is never written to the ledger or a log. The hospital (verifier) passes each opening to
the insurer with the claim, as it passes the claim today. The hospital and the insurer see
amounts; the public and the regulator see commitments and, per period, the insurer's signed total
(A = Σa, R = Σr mod the group order). Anyone checks that total against the ledger by adding the
period's commitments: an omitted, added or altered claim, or a wrong total, fails the check
unless the insurer can open a commitment to another amount, which needs log_G H.

Why no range proof: a commitment only ever adds into its own payer's total, and the payer checks
each opening it pays (a must equal the claimed cents it agreed to reimburse, 0 ≤ a < 2⁶³). A
"negative" amount (a ≡ −x mod r) would be refused by the insurer when it opens it, and nobody else
can make the insurer's total smaller: only the insurer signs totals.

A claim belongs to the UTC day of the first signed head that covers its entry (entries carry no
clock of their own; heads are signed with a timestamp when their transaction commits).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from circuits import credentials as cr
from circuits.credential_query import Op
from circuits.requests import ProofRequest
from zkcore import pedersen
from zkcore.curve import G1
from zkcore.errors import InvalidEncoding, InvalidProof
from zkcore.merkle import rfc6962
from zkcore.params import R

from .ledger import entries as e
from .ledger.checkpoint import SignedHead, verify_signature
from .ledger.log import CompactRange

STATEMENT = "zkelig/funds-total/v1"
CHUNK = 1000


def claim_cents(request: ProofRequest) -> int | None:
    """The amount a request claims, if it is a reimbursement (the `reimbursable` preset's shape: an
    insurance credential whose annual cap must be ≥ one value, the claimed cents); else None."""
    if request.schema != cr.INSURANCE.name:
        return None
    caps = [q for q in request.queries if q.slot == cr.INSURANCE.slot("annual_cap_cents") and q.op == Op.GTE]
    if len(caps) != 1 or len(caps[0].values) != 1 or not 0 <= caps[0].values[0] < pedersen.MAX_AMOUNT:
        return None
    return caps[0].values[0]


@dataclass(frozen=True)
class Opening:
    """What the verifier receives for one accepted claim; the ledger holds only `commitment`."""

    payer: str
    amount_cents: int
    blinding: int

    @classmethod
    def new(cls, payer: str, amount_cents: int) -> Opening:
        return cls(payer, pedersen.check_amount(amount_cents), pedersen.random_blinding())

    @property
    def commitment(self) -> G1:
        return pedersen.commit(self.amount_cents, self.blinding)

    def to_json(self) -> dict:
        return {"payer": self.payer, "amount_cents": self.amount_cents, "blinding": str(self.blinding),
                "commitment": self.commitment.to_bytes().hex()}

    @classmethod
    def from_json(cls, obj: dict) -> Opening:
        try:
            opening = cls(e.check_id(obj["payer"], "payer"), pedersen.check_amount(obj["amount_cents"]),
                          pedersen.check_blinding(int(obj["blinding"])))
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidEncoding(f"malformed opening: {err}") from None
        if "commitment" in obj and obj["commitment"] != opening.commitment.to_bytes().hex():
            raise InvalidEncoding("the opening does not open its commitment")
        return opening


def _canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class PeriodTotal:
    """The payer's statement for days [start, end] (UTC), both inclusive."""

    payer: str
    start: dt.date
    end: dt.date
    claims: int
    amount_cents: int  # A = Σ a
    blinding: int  # R = Σ r mod r

    def body(self) -> dict:
        return {"statement": STATEMENT, "payer": self.payer, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "claims": self.claims, "amount_cents": self.amount_cents, "blinding": str(self.blinding)}

    def sign(self, private_key) -> dict:
        """Signed with the payer's Ed25519 key (the one registered for it on the ledger)."""
        return {"body": self.body(), "signature": base64.b64encode(private_key.sign(_canonical(self.body()))).decode()}

    @classmethod
    def from_signed(cls, signed: object, public_key: bytes) -> PeriodTotal:
        """The statement, once its signature checks under `public_key`; InvalidEncoding or InvalidProof otherwise."""
        try:
            body = signed["body"]
            if body["statement"] != STATEMENT:
                raise InvalidEncoding(f"not a {STATEMENT} statement")
            total = cls(e.check_id(body["payer"], "payer"), dt.date.fromisoformat(body["from"]),
                        dt.date.fromisoformat(body["to"]), int(body["claims"]), int(body["amount_cents"]),
                        pedersen.check_blinding(int(body["blinding"])))
            signature = base64.b64decode(signed["signature"], validate=True)
        except (KeyError, TypeError, ValueError, OverflowError) as err:  # int(Infinity) overflows
            raise InvalidEncoding(f"malformed period total: {err}") from None
        if total.body() != body or total.claims < 0 or total.amount_cents < 0 or total.end < total.start:
            raise InvalidEncoding("the period total is not in canonical form")
        verify_signature(public_key, signature, _canonical(body))
        return total


def total_of(payer: str, start: dt.date, end: dt.date, openings: Iterable[Opening]) -> PeriodTotal:
    """What the payer publishes: the sums of the openings it accepted for the period."""
    openings = list(openings)
    if any(o.payer != payer for o in openings):
        raise ValueError("every opening must be owed by the payer")
    return PeriodTotal(payer, start, end, len(openings), sum(o.amount_cents for o in openings),
                       sum(o.blinding for o in openings) % R)


@dataclass(frozen=True)
class FundsCheck:
    ok: bool
    claims_on_ledger: int
    problem: str | None = None


def check_commitments(total: PeriodTotal, commitments: Sequence[G1]) -> FundsCheck:
    """Σ commitments = A·G + R·H, and as many claims as the statement counts."""
    n = len(commitments)
    if n != total.claims:
        return FundsCheck(False, n, f"the ledger holds {n} claims for {total.payer} in the period, the total counts "
                                    f"{total.claims}")
    if not pedersen.opens_to(pedersen.total(commitments), total.amount_cents, total.blinding):
        return FundsCheck(False, n, "the claims' commitments do not add up to the published total")
    return FundsCheck(True, n)


@dataclass
class LedgerClaims:
    """A ledger's claim commitments and registered issuer keys, read from an audit source (the
    service's API or a database) and checked against its latest signed head."""

    claims: list[tuple[int, str, G1]]  # (log index, payer, commitment)
    issuer_keys: dict[str, bytes]
    head_sizes: list[int]
    head_days: list[dt.date]

    @classmethod
    def read(cls, source, ledger_key: bytes) -> LedgerClaims:
        heads = [SignedHead.from_text(text) for text in source.heads()]
        if not heads:
            raise InvalidEncoding("the ledger has no signed head")
        for head in heads:  # an entry's day comes from the head that covers it: each must be the ledger's
            head.verify(ledger_key)
        log, claims, keys, next_head = CompactRange(), [], {}, 0
        for start in range(0, heads[-1].size, CHUNK):
            for i, data in enumerate(source.entries(start, min(heads[-1].size, start + CHUNK)), start):
                entry = e.decode(data)
                if isinstance(entry, e.ClaimCommitment):
                    claims.append((i, entry.payer, entry.commitment))
                elif isinstance(entry, (e.IssuerRegistered, e.IssuerKeyRotated)):
                    # the key the issuer holds now signs its totals (each rotation the audit checks)
                    keys[entry.issuer] = entry.public_key
                log.append(rfc6962.leaf_hash(data))
                while next_head < len(heads) and heads[next_head].size == log.size:
                    if heads[next_head].root != log.root():
                        raise InvalidProof(f"the ledger's entries do not match its signed head at size {log.size}; "
                                           "run `zkelig audit`")
                    next_head += 1
        if next_head != len(heads):
            raise InvalidProof("the ledger's entries do not match its signed heads; run `zkelig audit`")
        days = [dt.datetime.fromtimestamp(h.timestamp_ms / 1000, dt.UTC).date() for h in heads]
        return cls(claims, keys, [h.size for h in heads], days)

    def day_of(self, index: int) -> dt.date:
        return self.head_days[bisect.bisect_right(self.head_sizes, index)]

    def commitments(self, payer: str, start: dt.date, end: dt.date) -> list[G1]:
        return [c for i, p, c in self.claims if p == payer and start <= self.day_of(i) <= end]

    def check(self, signed: object) -> FundsCheck:
        """Check a signed period total (its payer's key as registered on this ledger)."""
        payer = signed.get("body", {}).get("payer") if isinstance(signed, dict) else None
        if payer not in self.issuer_keys:
            raise InvalidEncoding(f"the statement's payer {payer!r} is not a registered issuer")
        total = PeriodTotal.from_signed(signed, self.issuer_keys[payer])
        return check_commitments(total, self.commitments(payer, total.start, total.end))
