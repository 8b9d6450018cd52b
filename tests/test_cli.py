"""`zkelig groth16 verify`: snarkjs argument order and exit codes 0 / 1 / 2."""

import json
import subprocess
import sys

import pytest


def zkelig(*args):
    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def files(shared):
    folder = shared / "bench" / "eligibility-5654"
    return folder / "verification_key.json", folder / "public.json", folder / "proof.json"


def test_valid_proof_prints_ok(files):
    out = zkelig("groth16", "verify", *map(str, files))
    assert (out.returncode, out.stdout.strip()) == (0, "OK")


def test_invalid_proof_prints_invalid(files, tmp_path):
    vk, public, proof = files
    signals = json.loads(public.read_text())
    signals[2] = str(int(signals[2]) + 1)
    changed = tmp_path / "public.json"
    changed.write_text(json.dumps(signals))
    out = zkelig("groth16", "verify", str(vk), str(changed), str(proof))
    assert (out.returncode, out.stdout.strip()) == (1, "INVALID")


@pytest.mark.parametrize("content", ["not json", "[]", '{"pi_a": ["1", "2", "1"]}'])
def test_malformed_proof_file_exits_2_with_one_line(files, tmp_path, content):
    vk, public, _ = files
    bad = tmp_path / "proof.json"
    bad.write_text(content)
    out = zkelig("groth16", "verify", str(vk), str(public), str(bad))
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_missing_file_exits_2(files, tmp_path):
    vk, public, _ = files
    out = zkelig("groth16", "verify", str(vk), str(public), str(tmp_path / "absent.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_demo_runs_the_story_and_every_check_passes(query_keys):
    out = zkelig("demo")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every check passed" in out.stdout and "✗" not in out.stdout
    assert out.stdout.count("✓") >= 12


def test_setup_generates_once_then_reuses(tmp_path):
    first = zkelig("setup", "--keys", str(tmp_path), "--depth", "3", "-q", "1", "-m", "2")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "credential-query-d3-q1-m2"
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["files"]) == {"circuit.zkey", "verification_key.json", "transcript.json", "witness_program.json",
                                  "poseidon_constants.json"}
    assert meta["vk_digest"] in first.stdout and "verified contribution" in first.stdout
    second = zkelig("setup", "--keys", str(tmp_path), "--depth", "3", "-q", "1", "-m", "2")
    assert second.returncode == 0 and json.loads((folder / "metadata.json").read_text()) == meta


def test_audit_command_on_a_database(tmp_path):
    from service.ledger import Ledger, LedgerKey, open_store

    url, key_file = f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "ledger.key"
    ledger = Ledger(open_store(url), LedgerKey.load_or_create(key_file), tree_depth=8)
    ledger.register_issuer("insurer-a", bytes(32))
    for i in range(5):
        ledger.issue("insurer-a", [i + 1])
    ledger.use_nullifier(1, 2, "hospital-a", bytes(32))
    ledger.close()
    ok = zkelig("audit", "--db", url, "--key-file", str(key_file), "--tree-depth", "8")
    assert ok.returncode == 0 and "consistent" in ok.stdout and "insurer-a" in ok.stdout, ok.stdout + ok.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "ledger.db")
    data = bytearray(db.execute("SELECT data FROM entries WHERE idx = 12").fetchone()[0])
    data[-1] ^= 1
    db.execute("UPDATE entries SET data = ? WHERE idx = 12", (bytes(data),))
    db.commit()
    bad = zkelig("audit", "--db", url, "--key-file", str(key_file), "--tree-depth", "8")
    assert bad.returncode == 1 and "INCONSISTENT" in bad.stdout and "entry 12" in bad.stdout, bad.stdout
    usage = zkelig("audit", "--db", url)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_export_vk_matches_snarkjs_export(shared, tmp_path):
    folder = shared / "bench" / "eligibility-5654"
    out = zkelig("groth16", "export-vk", str(folder / "circuit.zkey"), str(tmp_path / "vk.json"))
    assert out.returncode == 0, out.stderr
    ours, theirs = json.loads((tmp_path / "vk.json").read_text()), json.loads((folder / "verification_key.json").read_text())
    for key in ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"):
        assert ours[key] == theirs[key]
    out = zkelig("groth16", "export-vk", str(folder / "proof.json"), str(tmp_path / "x.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
