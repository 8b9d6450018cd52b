"""Poseidon and Merkle gadgets: equal to zkcore's hashing and trees, and refusing wrong witnesses."""

import random

import pytest

from circuits.dsl import Circuit, Public, Secret
from circuits.gadgets import merkle_root, poseidon
from circuits.gadgets.poseidon import checkpoint_interval
from zkcore.errors import Unsatisfied
from zkcore.merkle import PoseidonTree
from zkcore.params import R
from zkcore.poseidon import poseidon as native_poseidon


def hash_circuit(n: int):
    class HashN(Circuit):
        digest: Public
        xs: Secret[n]

        def define(self, api):
            api.assert_equal(poseidon(api, self.xs), self.digest, "digest")

    return HashN.compile()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 16])
def test_poseidon_gadget_equals_native(n):
    rng = random.Random(n)
    compiled = hash_circuit(n)
    for _ in range(2):
        xs = [rng.randrange(R) for _ in range(n)]
        compiled.witness(digest=native_poseidon(xs), xs=xs)
        with pytest.raises(Unsatisfied):
            compiled.witness(digest=(native_poseidon(xs) + 1) % R, xs=xs)


def test_poseidon_gadget_cost():
    # width 3: (8·3 + 57) S-boxes × 3 constraints, less the first capacity S-box (a constant,
    # folded), cells 1 and 2 made wires after every 10th of the 57 partial rounds, and the final
    # equality (circomlib's Poseidon(2) is 240 constraints: the S-boxes alone)
    assert checkpoint_interval(3) == 10
    assert hash_circuit(2).n_constraints == (8 * 3 + 57) * 3 - 3 + 57 // 10 * 2 + 1 == 251


def test_poseidon_gadget_keeps_a_and_b_sparse():
    # A and B coefficients are what snarkjs on a phone pays for one by one; a zkey stores none for C
    cs = hash_circuit(2).cs
    checkpoints = [abc for abc, name in zip(cs.constraints, cs.names) if name.endswith(": checkpoint")]
    assert len(checkpoints) == 10 and all(not a.terms and not b.terms for a, b, _ in checkpoints)
    assert sum(len(a.terms) + len(b.terms) for a, b, _ in cs.constraints) < 2_000  # 6,492 without checkpoints


def test_a_forged_checkpoint_wire_breaks_its_constraint():
    # the witness program computes checkpoints without checking them: the R1CS alone must pin them
    compiled = hash_circuit(2)
    cs = compiled.cs
    xs = [3, 5]
    w = compiled.witness(digest=native_poseidon(xs), xs=xs)
    cs.check(w)
    k = next(k for k, name in enumerate(cs.names) if name.endswith(": checkpoint"))
    wire = max(cs.constraints[k][2].terms)  # the checkpoint's own wire, the newest in its combination
    forged = list(w)
    forged[wire] = (forged[wire] + 1) % R
    assert cs.first_unsatisfied(forged) == k


def test_as_wire_is_for_fused_gadgets_only():
    class Loose(Circuit):
        x: Secret

        def define(self, api):
            api.as_wire(self.x + 1, "loose")

    with pytest.raises(RuntimeError, match="fused"):
        Loose.compile()


DEPTH = 6


class Membership(Circuit):
    root: Public
    leaf: Secret
    siblings: Secret[DEPTH]
    bits: Secret[DEPTH]

    def define(self, api):
        api.assert_equal(merkle_root(api, self.leaf, self.siblings, self.bits), self.root, "root")


@pytest.fixture(scope="module")
def tree():
    rng = random.Random(8)
    return PoseidonTree.from_leaves(DEPTH, [rng.randrange(R) for _ in range(37)])


@pytest.fixture(scope="module")
def membership():
    return Membership.compile()


@pytest.mark.parametrize("index", [0, 1, 17, 36])
def test_membership_of_every_kind_of_position(tree, membership, index):
    path = tree.path(index)
    membership.witness(root=tree.root, leaf=tree.leaf(index), siblings=list(path.siblings), bits=list(path.index_bits))


def test_wrong_leaf_sibling_bits_or_root_are_refused(tree, membership):
    path = tree.path(5)
    good = dict(root=tree.root, leaf=tree.leaf(5), siblings=list(path.siblings), bits=list(path.index_bits))
    bad_sibling = list(path.siblings)
    bad_sibling[3] = (bad_sibling[3] + 1) % R
    flipped = list(path.index_bits)
    flipped[0] ^= 1
    non_boolean = list(path.index_bits)
    non_boolean[2] = 2
    for change in (
        dict(leaf=tree.leaf(6)),
        dict(siblings=bad_sibling),
        dict(bits=flipped),
        dict(root=tree.root + 1),
        dict(bits=non_boolean),
    ):
        with pytest.raises(Unsatisfied):
            membership.witness(**{**good, **change})


def test_membership_proof_end_to_end(tree, membership):
    from zkcore.groth16 import prove, setup_r1cs, verify

    pk = setup_r1cs(membership.cs, random.Random(21))
    path = tree.path(17)
    witness = membership.witness(
        root=tree.root, leaf=tree.leaf(17), siblings=list(path.siblings), bits=list(path.index_bits)
    )
    proof = prove(pk, witness)
    assert verify(pk.vk, proof, [tree.root])
    assert not verify(pk.vk, proof, [(tree.root + 1) % R])
