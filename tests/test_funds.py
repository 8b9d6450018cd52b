"""Reimbursed totals: claim commitments on the ledger, the payer's signed period total, and the
public check Σ Cᵢ = A·G + R·H (which fails for a changed, omitted or extra claim or a wrong total)."""

import dataclasses
import datetime as dt
import random
import sqlite3
from concurrent.futures import wait

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from served import ledger_day

from circuits.requests import age_at_least, insured_on, reimbursable
from service.funds import LedgerClaims, Opening, PeriodTotal, check_commitments, claim_cents, total_of
from service.ledger import Ledger, LedgerKey, open_store
from service.ledger import entries as e
from service.ledger.audit import DatabaseSource, audit
from zkcore import pedersen
from zkcore.errors import InvalidEncoding, InvalidProof
from zkcore.params import R

N = 1000
A_DAY = dt.date(2026, 11, 30)  # statements and requests checked without a ledger: any day will do


def raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.fixture(scope="module")
def claims_ledger(tmp_path_factory):
    """A ledger with N accepted claims for insurer-a (and some for insurer-b), as the verifier path writes them."""
    day = ledger_day()  # the claims' ledger day, which the totals name
    path = tmp_path_factory.mktemp("funds") / "ledger.db"
    key, insurer_a, insurer_b = LedgerKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ledger = Ledger(open_store(f"sqlite:///{path}"), key, tree_depth=8)
    ledger.register_issuer("insurer-a", raw(insurer_a))
    ledger.register_issuer("insurer-b", raw(insurer_b))
    rng = random.Random(17)
    openings = [Opening("insurer-a" if k % 10 else "insurer-b", rng.randrange(1, 10**7), rng.randrange(R))
                for k in range(N + N // 9)]
    futures = [ledger.use_nullifier_async(7, k + 1, "hospital-a", bytes(32), scope_name="claims/2026/hospital-a",
                                          payment=(o.payer, o.commitment)) for k, o in enumerate(openings)]
    wait(futures)
    assert all(f.exception() is None for f in futures)
    yield ledger, key, path, insurer_a, [o for o in openings if o.payer == "insurer-a"], day
    ledger.close()


def test_the_nullifier_transaction_names_the_scope_once_and_commits_the_amount(claims_ledger):
    ledger, *_ = claims_ledger
    kinds = [type(e.decode(d)) for d in ledger.entries(0, 10)]
    first = kinds.index(e.ScopeNamed)
    assert kinds[first : first + 4] == [e.ScopeNamed, e.NullifierUsed, e.ClaimCommitment, e.NullifierUsed]
    counts = ledger.statistics()["entries"]
    assert counts["SCOPE_NAME"] == 1 and counts["CLAIM"] == counts["NULLIFIER"] == N + N // 9
    assert audit(DatabaseSource(ledger.store), ledger.key.public_key, tree_depth=8).ok


def test_totals_over_a_thousand_random_claims_check(claims_ledger):
    ledger, key, _, insurer_a, openings, day = claims_ledger
    assert len(openings) >= N - N // 10
    claims = LedgerClaims.read(DatabaseSource(ledger.store), key.public_key)
    signed = total_of("insurer-a", day, day, openings).sign(insurer_a)
    assert claims.check(signed).ok
    assert claims.check(signed).claims_on_ledger == len(openings)


@pytest.mark.parametrize("wrong", ["amount", "blinding", "count"])
def test_a_wrong_published_total_fails(claims_ledger, wrong):
    ledger, key, _, insurer_a, openings, day = claims_ledger
    claims = LedgerClaims.read(DatabaseSource(ledger.store), key.public_key)
    total = total_of("insurer-a", day, day, openings)
    change = {"amount": dict(amount_cents=total.amount_cents + 1), "blinding": dict(blinding=(total.blinding + 1) % R),
              "count": dict(claims=total.claims - 1)}[wrong]
    assert not claims.check(dataclasses.replace(total, **change).sign(insurer_a)).ok


def test_an_omitted_claim_fails(claims_ledger):
    ledger, key, _, insurer_a, openings, day = claims_ledger
    claims = LedgerClaims.read(DatabaseSource(ledger.store), key.public_key)
    omitted = total_of("insurer-a", day, day, openings[:-1])
    assert not claims.check(omitted.sign(insurer_a)).ok
    # ... even if the count is made to match: the sum is what binds
    commitments = claims.commitments("insurer-a", day, day)
    assert not check_commitments(dataclasses.replace(omitted, claims=len(commitments)), commitments).ok


def test_one_changed_commitment_fails(claims_ledger):
    ledger, key, _, _, openings, day = claims_ledger
    total = total_of("insurer-a", day, day, openings)
    commitments = [o.commitment for o in openings]
    assert check_commitments(total, commitments).ok
    first = openings[0]
    commitments[0] = pedersen.commit(first.amount_cents + 1, first.blinding)
    assert not check_commitments(total, commitments).ok


def test_a_changed_commitment_on_the_ledger_is_caught_before_adding(claims_ledger, tmp_path):
    ledger, key, path, insurer_a, openings, day = claims_ledger
    copy = tmp_path / "copy.db"
    with sqlite3.connect(path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
        index = next(i for i, d in dst.execute("SELECT idx, data FROM entries ORDER BY idx")
                     if bytes(d)[1] == e.Kind.CLAIM)
        altered = e.encode(e.ClaimCommitment("insurer-a", pedersen.commit(1, 1)))
        dst.execute("UPDATE entries SET data = ? WHERE idx = ?", (altered, index))
    with pytest.raises(InvalidProof, match="signed head"):
        LedgerClaims.read(DatabaseSource(open_store(f"sqlite:///{copy}")), key.public_key)


def test_the_period_and_the_payer_are_respected(claims_ledger):
    ledger, key, _, insurer_a, openings, day = claims_ledger
    claims = LedgerClaims.read(DatabaseSource(ledger.store), key.public_key)
    yesterday = day - dt.timedelta(days=1)
    assert claims.commitments("insurer-a", yesterday, yesterday) == []
    assert claims.check(total_of("insurer-a", yesterday, yesterday, []).sign(insurer_a)).ok  # nothing claimed then
    signed_by_other = total_of("insurer-a", day, day, openings).sign(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidProof):
        claims.check(signed_by_other)
    with pytest.raises(InvalidEncoding):
        claims.check({"body": {"payer": "nobody"}, "signature": ""})


def test_statements_and_openings_are_validated():
    private = Ed25519PrivateKey.generate()
    signed = PeriodTotal("insurer-a", A_DAY, A_DAY, 1, 5, 7).sign(private)
    assert PeriodTotal.from_signed(signed, raw(private)).amount_cents == 5
    for broken in ({**signed, "body": {**signed["body"], "amount_cents": "5"}}, {"body": signed["body"]},
                   {**signed, "body": {**signed["body"], "from": "yesterday"}}, "not even a dict",
                   {**signed, "body": {**signed["body"], "claims": float("inf")}}):  # JSON's Infinity
        with pytest.raises(InvalidEncoding):
            PeriodTotal.from_signed(broken, raw(private))
    opening = Opening.new("insurer-a", 120_000)
    assert Opening.from_json(opening.to_json()) == opening
    with pytest.raises(InvalidEncoding):
        Opening.from_json({**opening.to_json(), "amount_cents": 120_001})
    with pytest.raises(InvalidEncoding):
        Opening.from_json({**opening.to_json(), "amount_cents": -1})


def test_only_reimbursement_requests_carry_an_amount():
    assert claim_cents(reimbursable([1, 2], 120_000, A_DAY, A_DAY, ["insurer-a"], "claims/x")) == 120_000
    assert claim_cents(reimbursable([1], 0, A_DAY, A_DAY, ["insurer-a"], "claims/x")) == 0
    assert claim_cents(insured_on(A_DAY, A_DAY, ["insurer-a"], "coverage/x")) is None
    assert claim_cents(age_at_least(18, A_DAY, ["registry"], "visits/x")) is None


@pytest.mark.parametrize("name, ok", [("claims/2026/hospital-a/claim-0042", True), ("a", True), ("A:b@c+d", True),
                                      ("", False), ("/leading-slash", False), ("with space", False),
                                      ("é", False), ("x" * 200, True), ("x" * 201, False)])
def test_scope_names_on_the_ledger_are_identifiers(name, ok):
    if ok:
        assert e.decode(e.encode(e.ScopeNamed(name))) == e.ScopeNamed(name)
    else:
        with pytest.raises(InvalidEncoding):
            e.encode(e.ScopeNamed(name))


def test_claim_entries_decode_strictly():
    entry = e.ClaimCommitment("insurer-a", pedersen.commit(5, 6))
    data = e.encode(entry)
    assert e.decode(data) == entry
    for broken in (data[:-1], data + b"\0", data[:-64] + (1).to_bytes(32, "big") + (1).to_bytes(32, "big")):
        with pytest.raises(InvalidEncoding):
            e.decode(broken)
