"""The ledger on SQLite and PostgreSQL: entries, signed heads, proofs, receipts, trees, nullifiers, audit."""

import hashlib
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from issuers import issue, key_for, register, revoke, signed

from service.ledger import (
    BadRevocation,
    DuplicateRegistration,
    Ledger,
    LedgerKey,
    NullifierReused,
    Receipt,
    SignedHead,
    SignedIssuance,
    UnknownIssuer,
    open_store,
)
from service.ledger import entries as e
from service.ledger.audit import DatabaseSource, audit
from zkcore.errors import InvalidEncoding, InvalidProof
from zkcore.merkle import rfc6962
from zkcore.merkle.poseidon_tree import verify_path
from zkcore.params import R

DEPTH = 8
ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
elements = st.integers(0, R - 1)
u64 = st.integers(0, (1 << 64) - 1)
b32 = st.binary(min_size=32, max_size=32)
any_entry = st.one_of(
    st.builds(e.IssuerRegistered, ids, b32),
    st.builds(e.CircuitKeyRegistered, ids, b32),
    st.builds(e.Commitment, ids, u64, elements),
    st.builds(e.Revocation, ids, u64),
    st.builds(e.NullifierUsed, elements, elements, ids, b32),
    st.builds(e.IssuerRoot, ids, u64, elements),
    st.builds(e.IssuanceSigned, ids, u64, u64, b32, elements, st.binary(min_size=64, max_size=64)),
    st.builds(e.RevocationSigned, ids, u64, elements, st.binary(min_size=64, max_size=64)),
    st.builds(e.IssuerKeyRotated, ids, u64, b32, st.binary(min_size=64, max_size=64)),
)


@given(any_entry)
def test_entries_round_trip_canonically(entry):
    data = e.encode(entry)
    assert e.decode(data) == entry
    with pytest.raises(InvalidEncoding):
        e.decode(data + b"\x00")
    with pytest.raises(InvalidEncoding):
        e.decode(data[:-1])


def test_entries_refuse_what_is_not_canonical():
    good = e.encode(e.Commitment("insurer-a", 3, 5))
    for bad in (
        b"",
        b"\x02" + good[1:],
        good[:1] + b"\x09" + good[2:],
        good[:-32] + R.to_bytes(32, "big"),
        good[:2] + b"\x09Insurer-A" + good[12:],
        good[:2] + b"\x00" + good[3:],
    ):
        with pytest.raises(InvalidEncoding):
            e.decode(bad)
    for bad in (
        e.Commitment("Alice Smith", 0, 1),
        e.Commitment("a", -1, 1),
        e.IssuerRoot("a", 0, R),
        e.IssuerRegistered("a", b"short"),
    ):
        with pytest.raises(InvalidEncoding):
            e.encode(bad)


def test_no_entry_kind_has_a_free_form_field():
    for cls, fields in e._LAYOUT.values():
        # "scope" is an identifier too (SCOPE_PATTERN: letters, digits and . _ : / @ + -), "g1" a curve point
        assert {codec for _, codec in fields} <= {"id", "scope", "u64", "element", "bytes32", "bytes64", "g1"}, cls


def test_checkpoints_sign_verify_and_refuse_tampering():
    key, other = LedgerKey.generate(), LedgerKey.generate()
    head = key.sign_head("zkelig/test", 7, b"\x11" * 32, 1_700_000_000_000)
    text = head.to_text()
    assert SignedHead.from_text(text) == head
    head.verify(key.public_key)
    with pytest.raises(InvalidProof):
        head.verify(other.public_key)
    for tampered in (text.replace("\n7\n", "\n8\n"), text.replace("timestamp 17", "timestamp 18")):
        with pytest.raises(InvalidProof):
            SignedHead.from_text(tampered).verify(key.public_key)
    for malformed in ("", text.replace("\n\n", "\n"), text + "extra\n", text.replace("\n7\n", "\n07\n")):
        with pytest.raises(InvalidEncoding):
            SignedHead.from_text(malformed)


@pytest.fixture
def ledger(store_url):
    clock = FakeClock()
    led = Ledger(open_store(store_url), LedgerKey.generate(), tree_depth=DEPTH, root_window_s=3600, clock=clock)
    led.clock_ = clock
    yield led
    led.close()


class FakeClock:
    def __init__(self):
        self.now = 1_790_000_000.0

    def __call__(self):
        return self.now


def populate(led):
    register(led, "insurer-a")
    register(led, "registry")
    led.register_circuit("credential-query-d20-q4-m8", hashlib.sha256(b"vk").digest())
    issued = issue(led, "insurer-a", [101, 102, 103, 104, 105])
    issue(led, "registry", [7])
    return issued


def test_ledger_appends_proves_and_signs(ledger):
    issued = populate(ledger)
    assert [leaf for leaf, _ in issued] == [0, 1, 2, 3, 4]
    head = ledger.head()
    head.verify(ledger.key.public_key)
    data = ledger.entries(0, head.size)
    assert len(data) == head.size and rfc6962.root_of_leaves([rfc6962.leaf_hash(d) for d in data]) == head.root
    for index in range(head.size):
        rfc6962.verify_inclusion(
            index, head.size, rfc6962.leaf_hash(data[index]), ledger.inclusion_proof(index, head.size), head.root
        )
    for old in ledger.heads()[:-1]:
        rfc6962.verify_consistency(
            old.size, head.size, ledger.consistency_proof(old.size, head.size), old.root, head.root
        )
    receipt = Receipt.from_json(ledger.receipt(issued[2][1]).to_json())
    assert receipt.verify(ledger.key.public_key) == e.Commitment("insurer-a", 2, 103)
    forged = Receipt(e.encode(e.Commitment("insurer-a", 2, 104)), receipt.index, receipt.proof, receipt.head)
    with pytest.raises(InvalidProof):
        forged.verify(ledger.key.public_key)


def test_proofs_over_stored_nodes_are_right_and_batched_on_postgres(ledger, monkeypatch):
    """On PostgreSQL (a round trip per query) in one query; on SQLite a node at a time."""
    for k in range(10):  # heads at several sizes; nodes of height ≥ 4 stored
        register(ledger, f"issuer-{k}")
        issue(ledger, f"issuer-{k}", list(range(1, 1 << min(DEPTH, 5))))
    head = ledger.head()
    data = ledger.entries(0, head.size)
    queries = []
    with ledger.store.read() as tx:
        tx_class = type(tx)
    original = tx_class.nodes

    def counted(tx, ids):
        queries.append(len(ids))
        return original(tx, ids)

    monkeypatch.setattr(tx_class, "nodes", counted)
    for index in (0, 1, 15, 16, 17, 100, 255, 256, head.size - 1):
        queries.clear()
        proof = ledger.inclusion_proof(index, head.size)
        rfc6962.verify_inclusion(index, head.size, rfc6962.leaf_hash(data[index]), proof, head.root)
        assert len(queries) <= 1 or ledger.store.dialect == "sqlite"
    for old in ledger.heads()[:-1]:
        queries.clear()
        rfc6962.verify_consistency(
            old.size, head.size, ledger.consistency_proof(old.size, head.size), old.root, head.root
        )
        assert len(queries) <= 1 or ledger.store.dialect == "sqlite"


def test_issuer_trees_paths_and_revocation(ledger):
    populate(ledger)
    root = ledger.issuer_root("insurer-a")
    assert root in ledger.accepted_roots("insurer-a")
    assert verify_path(root, 104, ledger.path("insurer-a", 3))
    ledger.clock_.now += 3601
    assert ledger.accepted_roots("insurer-a") == {root}  # the roots it replaced aged out of the window
    issue(ledger, "insurer-a", [106])
    second = ledger.issuer_root("insurer-a")
    assert ledger.accepted_roots("insurer-a") == {root, second}  # replaced just now: still accepted
    ledger.clock_.now += 3601
    issue(ledger, "insurer-a", [107])
    newest = ledger.issuer_root("insurer-a")
    assert ledger.accepted_roots("insurer-a") == {second, newest}  # root was replaced over an hour ago
    revoke(ledger, "insurer-a", 3)
    assert newest not in ledger.accepted_roots("insurer-a")  # a revocation retires earlier roots at once
    assert ledger.accepted_roots("insurer-a") == {ledger.issuer_root("insurer-a")}
    with pytest.raises(BadRevocation):
        ledger.path("insurer-a", 3)
    with pytest.raises(BadRevocation):
        revoke(ledger, "insurer-a", 3)
    with pytest.raises(BadRevocation):
        revoke(ledger, "insurer-a", 99)
    with pytest.raises(UnknownIssuer):
        ledger.issue("nobody", signed(ledger, "insurer-a", [1]))
    with pytest.raises(DuplicateRegistration):
        ledger.register_issuer("registry", b"\x03" * 32)
    assert verify_path(ledger.issuer_root("insurer-a"), 105, ledger.path("insurer-a", 4))


def test_nullifiers_are_single_use_per_scope(ledger):
    scope_a, scope_b = 11, 12
    ledger.use_nullifier(scope_a, 99, "hospital-a", b"\x00" * 32)
    with pytest.raises(NullifierReused) as err:
        ledger.use_nullifier(scope_a, 99, "hospital-b", b"\x01" * 32)
    assert f"{scope_a:#066x}" in str(err.value) and "hospital" not in str(err.value)
    ledger.use_nullifier(scope_b, 99, "hospital-b", b"\x01" * 32)  # another scope: fine
    assert ledger.nullifier_index(scope_a, 99) is not None and ledger.nullifier_index(scope_a, 98) is None


def test_bad_input_in_a_batch_loses_nothing_else(ledger):
    register(ledger, "insurer-a")
    with pytest.raises(InvalidEncoding):  # refused before it is queued
        ledger.issue_async("insurer-a", SignedIssuance(0, (R,), 0, bytes(64)))
    futures = [
        ledger.issue_async("insurer-a", signed(ledger, "insurer-a", [1])),
        ledger.use_nullifier_async(1, 2, "Not An Id", b"\x00" * 32),
        ledger.issue_async("insurer-a", signed(ledger, "insurer-a", [2], after=[1])),
    ]
    assert futures[0].result()[0][0] == 0 and futures[2].result()[0][0] == 1
    with pytest.raises(InvalidEncoding):
        futures[1].result()
    assert ledger.issuer_root("insurer-a") == ledger.frontier("insurer-a").root


def test_state_survives_reopening(store_url):
    key = LedgerKey.generate()
    first = Ledger(open_store(store_url), key, tree_depth=DEPTH)
    populate(first)
    revoke(first, "insurer-a", 1)
    head, stats, root = first.head(), first.statistics(), first.issuer_root("insurer-a")
    first.close()
    again = Ledger(open_store(store_url), key, tree_depth=DEPTH)
    assert again.head() == head and again.statistics() == stats and again.issuer_root("insurer-a") == root
    assert again.accepted_roots("insurer-a") == {root}
    assert issue(again, "insurer-a", [9]) == [(5, head.size)]
    again.close()


def test_nullifier_race_between_replicas_accepts_exactly_one(store_url):
    """Eight replicas (each its own Ledger and connection) submit one nullifier at once."""
    key = LedgerKey.generate()
    replicas = [Ledger(open_store(store_url), key, tree_depth=DEPTH) for _ in range(8)]
    try:
        for round_ in range(3):
            barrier, outcomes = threading.Barrier(8), []

            def submit(led, i):
                barrier.wait()
                try:
                    led.use_nullifier(5, 1000 + round_, f"verifier-{i}", bytes(32))
                    outcomes.append("accepted")
                except NullifierReused:
                    outcomes.append("refused")

            threads = [threading.Thread(target=submit, args=(led, i)) for i, led in enumerate(replicas)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["accepted"] + ["refused"] * 7
        report = audit(DatabaseSource(open_store(store_url)), key.public_key, DEPTH)
        assert report.ok and report.kinds["NULLIFIER"] == 3
    finally:
        for led in replicas:
            led.close()


def test_audit_passes_a_clean_ledger_and_names_a_flipped_byte(ledger, store_url):
    populate(ledger)
    ledger.use_nullifier(3, 4, "hospital-a", bytes(32))
    revoke(ledger, "insurer-a", 0)
    key = ledger.key.public_key
    report = audit(DatabaseSource(open_store(store_url)), key, DEPTH)
    assert report.ok, report.problem
    assert report.issuers["insurer-a"] == {"credentials": 5, "revoked": 1} and report.kinds["COMMITMENT"] == 6
    data = ledger.entries(0, ledger.size)
    store = open_store(store_url)

    def flipped(index, position):
        with store.write() as tx:
            original = tx.entries(index, index + 1)[0]
            changed = bytearray(original)
            changed[position] ^= 0x01
            tx.execute("UPDATE entries SET data = ? WHERE idx = ?", (bytes(changed), index))
        report = audit(DatabaseSource(store), key, DEPTH)
        with store.write() as tx:
            tx.execute("UPDATE entries SET data = ? WHERE idx = ?", (original, index))
        assert not report.ok
        return report

    # a flipped byte inside a commitment's leaf: named within the entries its signed head covers
    commitment = next(i for i, d in enumerate(data) if e.decode(d) == e.Commitment("insurer-a", 2, 103))
    report = flipped(commitment, -1)
    first, last = (int(x) for x in report.problem.split("entries ")[1].split(" ")[0].split(".."))
    assert first <= commitment <= last and report.first_bad_entry == first and last - first <= 6
    # a single-entry batch is named exactly, as is a byte that breaks the encoding
    nullifier = next(i for i, d in enumerate(data) if e.decode(d).kind == e.Kind.NULLIFIER)
    assert flipped(nullifier, 40).problem.startswith(f"entry {nullifier} was altered")
    assert flipped(commitment, 1).first_bad_entry == commitment
    assert audit(DatabaseSource(store), key, DEPTH).ok  # restored
    # a wrong public key fails on the first head
    assert not audit(DatabaseSource(store), LedgerKey.generate().public_key, DEPTH).ok


def test_a_replica_sees_another_replicas_revocation_at_once(store_url):
    key = LedgerKey.generate()
    a = Ledger(open_store(store_url), key, tree_depth=DEPTH)
    b = Ledger(open_store(store_url), key, tree_depth=DEPTH)
    try:
        register(a, "insurer-a")
        issue(a, "insurer-a", [11, 12, 13])
        b.refresh()
        before = b.issuer_root("insurer-a")
        assert before in b.accepted_roots("insurer-a") and b.head() == a.head()
        revoke(a, "insurer-a", 1)
        b.refresh()
        assert before not in b.accepted_roots("insurer-a")
        assert b.issuer_root("insurer-a") == a.issuer_root("insurer-a")
        assert issue(b, "insurer-a", [14]) == [(3, a.head().size)]  # b writes after catching up
        a.refresh()
        assert a.head() == b.head() and a.statistics() == b.statistics()
    finally:
        a.close()
        b.close()


def test_readers_get_copies_of_the_registries(ledger):
    """Public state is read through methods that take the lock and hand out copies, never the live dicts."""
    assert not ledger.has_issuer("insurer-a") and ledger.circuit_digest("credential-query-d20-q4-m8") is None
    populate(ledger)
    digest = hashlib.sha256(b"vk").digest()
    assert ledger.has_issuer("insurer-a") and not ledger.has_issuer("insurer-b")
    assert ledger.circuit_digest("credential-query-d20-q4-m8") == digest
    issuers = ledger.registered_issuers()
    assert sorted(issuers) == ["insurer-a", "registry"]
    assert issuers["insurer-a"].public_key == key_for("insurer-a").public_key and issuers["insurer-a"].rotation == 0
    issuers.clear()  # a copy: the ledger's own registry is untouched
    assert ledger.has_issuer("insurer-a") and sorted(ledger.registered_issuers()) == ["insurer-a", "registry"]
    with pytest.raises(DuplicateRegistration):
        ledger.register_circuit("credential-query-d20-q4-m8", digest)
