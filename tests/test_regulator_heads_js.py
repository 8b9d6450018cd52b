"""The regulator page's head checks (service/web/regulator/heads.js) in node, against heads and
consistency proofs from the Python ledger: every pair of heads verifies; a forged signature, another
key, a non-canonical checkpoint, an altered proof and a fork are each refused."""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import in_ci
from issuers import issue, register

from service.ledger import Ledger, LedgerKey, open_store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        if in_ci():
            pytest.fail("node is needed in CI for the page's head checks")
        pytest.skip("node is not installed")
    return found


def run(node: str, cases: list[dict]) -> list[str]:
    out = subprocess.run([node, str(ROOT / "tests" / "heads_check.mjs")], input=json.dumps(cases), capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory):
    """One ledger grown in uneven steps (a head per step), and a fork of it signed with the same key."""
    key, path = LedgerKey.generate(), tmp_path_factory.mktemp("heads")
    ledger = Ledger(open_store(f"sqlite:///{path / 'a.db'}"), key, tree_depth=8)
    fork = Ledger(open_store(f"sqlite:///{path / 'b.db'}"), key, tree_depth=8)
    for target in (ledger, fork):
        register(target, "insurer-a")
    for step in (1, 2, 3, 5, 8, 13):
        issue(ledger, "insurer-a", list(range(1, step + 1)))
        issue(fork, "insurer-a", list(range(100, 100 + step)))
    yield key, ledger, fork
    ledger.close()
    fork.close()


def case(key, first, second, proof) -> dict:
    return {"key": b64(key.public_key), "first": first.to_text(), "second": second.to_text(),
            "proof": [b64(p) for p in proof]}


def test_every_pair_of_heads_verifies(node, ledgers):
    key, ledger, _ = ledgers
    heads = ledger.heads()
    cases = [case(key, a, b, ledger.consistency_proof(a.size, b.size) if a.size < b.size else [])
             for i, a in enumerate(heads) for b in heads[i:]]
    assert len(cases) > 20
    assert run(node, cases) == ["ok"] * len(cases)


def test_forgeries_and_forks_are_refused(node, ledgers):
    key, ledger, fork = ledgers
    heads, other = ledger.heads(), LedgerKey.generate()
    a, b = heads[2], heads[-1]
    proof = ledger.consistency_proof(a.size, b.size)
    good = case(key, a, b, proof)
    text = b.to_text()
    # An Ed25519 signature's last byte is often 0 (S < 2^253), so flip a bit rather than overwrite it.
    forged = b64(b.signature[:-1] + bytes([b.signature[-1] ^ 1]))
    flipped = bytearray(proof[0])
    flipped[0] ^= 1
    forked = fork.head()
    cases = {
        "forged signature": {**good, "second": text.replace(text.split(" ")[-1], forged + "\n")},
        "another key": {**good, "key": b64(other.public_key)},
        "not canonical": {**good, "second": text + "\n"},
        "altered proof": {**good, "proof": [b64(bytes(flipped))] + good["proof"][1:]},
        "fork, same size": case(key, forked, b, []),
        "fork, larger": case(key, a, forked, fork.consistency_proof(a.size, forked.size)),
        "went back": case(key, b, a, []),
    }
    verdicts = dict(zip(cases, run(node, list(cases.values()))))
    assert run(node, [good]) == ["ok"]
    for name, verdict in verdicts.items():
        assert verdict.startswith("refused: "), name
    assert "signature" in verdicts["forged signature"] and "not signed by" in verdicts["another key"]
    assert "different roots" in verdicts["fork, same size"] and "smaller" in verdicts["went back"]
