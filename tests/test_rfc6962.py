"""RFC 6962 logs: transparency-dev's inclusion vectors, and every proof for sizes up to 128."""

import base64

import pytest
from conftest import load_vectors

from zkcore.errors import InvalidProof
from zkcore.merkle import rfc6962 as log


def b64(value):
    return base64.b64decode(value) if value is not None else b""


@pytest.mark.parametrize("case", load_vectors("rfc6962_inclusion.json"), ids=lambda c: f"{c['file']}")
def test_transparency_dev_inclusion_vectors(case):
    args = (
        case["leafIdx"],
        case["treeSize"],
        b64(case["leafHash"]),
        [b64(p) for p in case["proof"] or []],
        b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(InvalidProof):
            log.verify_inclusion(*args)
    else:
        assert log.verify_inclusion(*args) is None


@pytest.fixture(scope="module")
def log128():
    store, leaves, roots = log.MemoryNodeStore(), [], [log.EMPTY_ROOT]
    for i in range(128):
        leaves.append(log.leaf_hash(i.to_bytes(2, "big")))
        store.append(leaves[-1])
        roots.append(log.root_of_leaves(leaves))
    return store, leaves, roots


def test_store_roots_equal_the_definition(log128):
    store, _, roots = log128
    for size in range(129):
        assert log.root(store, size) == roots[size]


def test_every_inclusion_proof_up_to_128(log128):
    store, leaves, roots = log128
    for size in range(1, 129):
        for index in range(size):
            proof = log.inclusion_proof(store, index, size)
            log.verify_inclusion(index, size, leaves[index], proof, roots[size])
            assert log.root_from_inclusion_proof(index, size, leaves[index], proof) == roots[size]


def test_every_consistency_proof_up_to_128(log128):
    store, _, roots = log128
    for size2 in range(129):
        for size1 in range(size2 + 1):
            proof = log.consistency_proof(store, size1, size2)
            log.verify_consistency(size1, size2, proof, roots[size1], roots[size2])
            if 0 < size1 < size2:
                assert log.root_from_consistency_proof(size1, size2, proof, roots[size1]) == (
                    roots[size1],
                    roots[size2],
                )


def test_tampered_consistency_proofs_fail(log128):
    store, _, roots = log128
    for size1, size2 in [(1, 2), (3, 7), (4, 8), (5, 128), (64, 127), (100, 101)]:
        proof = log.consistency_proof(store, size1, size2)
        bad_cases = [
            (size1, size2, proof[:-1], roots[size1], roots[size2]),
            (size1, size2, proof + [proof[0]], roots[size1], roots[size2]),
            (size1, size2, proof, roots[size1 - 1], roots[size2]),
            (size1, size2, proof, roots[size1], roots[size2 - 1]),
            (size1 + 1, size2, proof, roots[size1], roots[size2]),
            (size1, size2, [p[:31] for p in proof], roots[size1], roots[size2]),
            (size2, size1, proof, roots[size2], roots[size1]),
        ]
        if proof:
            flipped = bytes([proof[0][0] ^ 1]) + proof[0][1:]
            bad_cases.append((size1, size2, [flipped] + proof[1:], roots[size1], roots[size2]))
        for args in bad_cases:
            with pytest.raises(InvalidProof):
                log.verify_consistency(*args)
    with pytest.raises(InvalidProof):
        log.verify_consistency(5, 5, [roots[5]], roots[5], roots[5])
    with pytest.raises(InvalidProof):
        log.verify_consistency(3, 5, [], roots[3], roots[5])
    with pytest.raises(InvalidProof):
        log.verify_consistency(0, 5, [roots[1]], roots[0], roots[5])
    with pytest.raises(InvalidProof) as err:  # the message names both roots, so an auditor can compare
        log.verify_consistency(4, 8, log.consistency_proof(store, 4, 8), roots[4], roots[7])
    assert roots[7].hex() in str(err.value) and roots[8].hex() in str(err.value)


def test_prefixes_separate_leaves_from_nodes():
    assert log.LEAF_PREFIX != log.NODE_PREFIX
    left, right = log.leaf_hash(b"a"), log.leaf_hash(b"b")
    assert log.node_hash(left, right) != log.leaf_hash(left + right)


def test_inclusion_rejects_malformed_arguments(log128):
    store, leaves, roots = log128
    proof = log.inclusion_proof(store, 3, 10)
    for args in [
        (10, 10, leaves[3], proof, roots[10]),
        (-1, 10, leaves[3], proof, roots[10]),
        (3, 10, leaves[3][:31], proof, roots[10]),
        (3, 10, leaves[3], proof, b"short"),
        (3, 10, leaves[3], proof + [b""], roots[10]),
    ]:
        with pytest.raises(InvalidProof):
            log.verify_inclusion(*args)


def test_proof_generation_reads_o_log_n_nodes():
    class CountingStore(log.MemoryNodeStore):
        reads = 0

        def get_node(self, height, index):
            CountingStore.reads += 1
            return super().get_node(height, index)

    store = CountingStore()
    for i in range(100_000):
        store.append(i.to_bytes(32, "big"))
    CountingStore.reads = 0
    log.inclusion_proof(store, 12_345, 99_999)
    log.consistency_proof(store, 54_321, 99_999)
    assert CountingStore.reads <= 4 * 17
