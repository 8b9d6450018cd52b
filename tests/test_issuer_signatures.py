"""Issuers sign what enters their trees: forged, replayed or mismatched statements are refused, key
rotation is signed by the key it replaces, and an operator who appends a leaf with the ledger's own key
(or forges the issuer's statement) is caught by the audit, which names the entry."""

import time

import pytest
from issuers import issue, key_for, register, signed

from service.ledger import BadStatement, IssuerKey, Ledger, LedgerKey, SignedIssuance, StaleStatement, open_store
from service.ledger import entries as e
from service.ledger import statements as st
from service.ledger.audit import DatabaseSource, audit

DEPTH = 8


@pytest.fixture
def ledger(store_url):
    led = Ledger(open_store(store_url), LedgerKey.generate(), origin="zkelig/test", tree_depth=DEPTH)
    register(led, "insurer-a")
    issue(led, "insurer-a", [11, 12, 13])
    yield led
    led.close()


def _audit(ledger):
    return audit(DatabaseSource(ledger.store), ledger.key.public_key, DEPTH)


def test_forged_issuance_and_revocation_are_refused(ledger):
    size = ledger.size
    good = signed(ledger, "insurer-a", [21, 22])
    frontier = ledger.frontier("insurer-a")
    forgeries = {
        "a signature of random bytes": SignedIssuance(good.first_leaf, good.leaves, good.root, bytes(64)),
        "another key's signature": IssuerKey.generate().sign_issuance(ledger.origin, "insurer-a", frontier, [21, 22]),
        "leaves that are not the signed ones": SignedIssuance(good.first_leaf, (21, 23), good.root, good.signature),
        "a statement for another ledger": key_for("insurer-a").sign_issuance("elsewhere", "insurer-a", frontier, [21]),
        "a statement for another issuer's tree": key_for("insurer-a").sign_issuance(ledger.origin, "registry",
                                                                                   frontier, [21]),
    }
    for what, forged in forgeries.items():
        with pytest.raises(BadStatement):
            ledger.issue("insurer-a", forged)
        assert ledger.size == size, what
    wrong_root = key_for("insurer-a").sign_issuance(ledger.origin, "insurer-a", frontier.append(99), [21])
    with pytest.raises(StaleStatement):  # signed against a tree that is not the ledger's
        ledger.issue("insurer-a", SignedIssuance(frontier.size, (21,), wrong_root.root,
                                                 key_for("insurer-a")._private.sign(st.issuance_statement(
                                                     ledger.origin, "insurer-a", frontier.size, 1,
                                                     st.leaves_digest([21]), wrong_root.root))))
    assert ledger.size == size  # nothing refused reached the log
    assert ledger.issue("insurer-a", good) == [(3, size), (4, size + 1)]
    with pytest.raises(StaleStatement):  # the same statement again: its first leaf is taken
        ledger.issue("insurer-a", good)
    path = ledger.path("insurer-a", 1)
    root, signature = IssuerKey.generate().sign_revocation(ledger.origin, "insurer-a", path)
    with pytest.raises(BadStatement):
        ledger.revoke("insurer-a", 1, root, signature)
    root, signature = key_for("insurer-a").sign_revocation(ledger.origin, "insurer-a", path)
    with pytest.raises(BadStatement):  # a signed revocation of leaf 1 does not revoke leaf 2
        ledger.revoke("insurer-a", 2, root, signature)
    ledger.revoke("insurer-a", 1, root, signature)
    with pytest.raises(Exception) as err:  # replayed: the leaf is no longer live
        ledger.revoke("insurer-a", 1, root, signature)
    assert err.value.code == "bad_revocation"
    report = _audit(ledger)
    assert report.ok, report.problem
    assert report.kinds["ISSUANCE_SIGNED"] == 2 and report.kinds["REVOCATION_SIGNED"] == 1


def test_key_rotation_is_signed_by_the_key_it_replaces(ledger, store_url):
    old, new = key_for("insurer-a"), IssuerKey.generate()
    with pytest.raises(BadStatement):  # a rotation the current key did not sign
        ledger.rotate_issuer_key("insurer-a", 1, new.public_key, new.sign_rotation(ledger.origin, "insurer-a", 1,
                                                                                   new.public_key))
    signature = old.sign_rotation(ledger.origin, "insurer-a", 1, new.public_key)
    ledger.rotate_issuer_key("insurer-a", 1, new.public_key, signature)
    assert ledger.issuer_key("insurer-a") == (new.public_key, 1)
    with pytest.raises(BadStatement):  # replayed: the old key is no longer the current one
        ledger.rotate_issuer_key("insurer-a", 1, new.public_key, signature)
    with pytest.raises(BadStatement):  # the old key signs nothing any more
        ledger.issue("insurer-a", old.sign_issuance(ledger.origin, "insurer-a", ledger.frontier("insurer-a"), [5]))
    placed = ledger.issue("insurer-a", new.sign_issuance(ledger.origin, "insurer-a", ledger.frontier("insurer-a"), [5]))
    assert placed[0][0] == 3
    with pytest.raises(StaleStatement):  # rotation numbers only go up by one
        ledger.rotate_issuer_key("insurer-a", 3, old.public_key,
                                 new.sign_rotation(ledger.origin, "insurer-a", 3, old.public_key))
    report = _audit(ledger)
    assert report.ok and report.kinds["ISSUER_KEY_ROTATED"] == 1, report.problem
    replica = Ledger(open_store(store_url), ledger.key, origin=ledger.origin, tree_depth=DEPTH)
    try:  # another replica replays the rotation from the log
        assert replica.issuer_key("insurer-a") == (new.public_key, 1)
    finally:
        replica.close()


def _operator_appends(ledger, entries_for) -> int:
    """What whoever holds the database and the ledger key can do: append entries of its choosing to an
    issuer's tree and sign a head over them, bypassing the issuer-signature checks. Returns the first index."""
    with ledger.store.write() as tx, ledger._state_lock:
        ledger._catch_up(tx)
        state = ledger._state.issuers["insurer-a"]
        first, leaf_index = ledger._state.log_range.size, state.tree.size
        state.tree.extend([777])
        staged = [e.Commitment("insurer-a", leaf_index, 777), *entries_for(leaf_index, state.tree.root),
                  e.IssuerRoot("insurer-a", state.tree.size, state.tree.root)]
        ledger._write(tx, staged, {}, {"insurer-a"}, int(time.time() * 1000))
    return first


def test_the_operator_cannot_mint_a_credential_unnoticed(ledger):
    assert _audit(ledger).ok
    minted = _operator_appends(ledger, lambda leaf_index, root: [])
    report = _audit(ledger)
    assert not report.ok and report.first_bad_entry == minted, report.problem
    assert f"entry {minted}:" in report.problem and "did not sign" in report.problem


def test_a_forged_issuer_statement_is_named_by_the_audit(ledger):
    def forged(leaf_index, root):
        return [e.IssuanceSigned("insurer-a", leaf_index, 1, st.leaves_digest([777]), root, bytes(64))]

    minted = _operator_appends(ledger, forged)
    report = _audit(ledger)
    assert not report.ok and report.first_bad_entry == minted + 1, report.problem
    assert "not signed by the issuer's key" in report.problem
