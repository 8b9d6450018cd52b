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


def test_demo_whose_service_stops_answering_exits_2_with_one_line(monkeypatch):
    import httpx
    from typer.testing import CliRunner

    from service import demo
    from service.cli import app

    def stalled():
        raise httpx.ReadTimeout("timed out")

    monkeypatch.setattr(demo, "run_demo", stalled)
    out = CliRunner().invoke(app, ["demo"])
    assert out.exit_code == 2
    assert out.stderr.startswith("error: the demo's local service stopped answering (ReadTimeout)")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.output


def test_setup_generates_once_then_reuses(tmp_path):
    first = zkelig("setup", "--keys", str(tmp_path), "--depth", "3", "-q", "1", "-m", "2")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "credential-query-d3-q1-m2"
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["files"]) == {
        "circuit.zkey",
        "verification_key.json",
        "transcript.json",
        "witness_program.json",
        "poseidon_constants.json",
    }
    assert meta["vk_digest"] in first.stdout and "verified contribution" in first.stdout
    second = zkelig("setup", "--keys", str(tmp_path), "--depth", "3", "-q", "1", "-m", "2")
    assert second.returncode == 0 and json.loads((folder / "metadata.json").read_text()) == meta


def test_audit_command_on_a_database(tmp_path):
    from issuers import issue, register

    from service.ledger import Ledger, LedgerKey, open_store

    url, key_file = f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path / "ledger.key"
    ledger = Ledger(open_store(url), LedgerKey.load_or_create(key_file), tree_depth=8)
    register(ledger, "insurer-a")
    for i in range(5):
        issue(ledger, "insurer-a", [i + 1])
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
    ours, theirs = (
        json.loads((tmp_path / "vk.json").read_text()),
        json.loads((folder / "verification_key.json").read_text()),
    )
    for key in ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"):
        assert ours[key] == theirs[key]
    out = zkelig("groth16", "export-vk", str(folder / "proof.json"), str(tmp_path / "x.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr


def one_line_failure(out, code: int = 2) -> str:
    """The process failed with `code` and said so in one line on stderr, without a traceback."""
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    return out.stderr


def test_audit_refuses_a_database_that_does_not_exist(tmp_path):
    key = "00" * 32
    typo = tmp_path / "ledgr.db"
    assert "does not exist" in one_line_failure(zkelig("audit", "--db", f"sqlite:///{typo}", "--public-key", key))
    assert not typo.exists()  # nothing was created
    import sqlite3

    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    assert "holds no ledger" in one_line_failure(
        zkelig("audit", "--db", f"sqlite:///{tmp_path / 'other.db'}", "--public-key", key)
    )
    unsupported = zkelig("audit", "--db", "mysql://x/y", "--public-key", key)
    assert "unsupported ledger database URL" in one_line_failure(unsupported)
    unreachable = zkelig("audit", "--db", "postgresql://me:hunter2@127.0.0.1:1/ledger", "--public-key", key)
    refused = one_line_failure(unreachable)
    assert "cannot open" in refused and "hunter2" not in refused  # the password is never printed


@pytest.mark.parametrize(
    "url, said",
    [("http://127.0.0.1:1", "cannot connect"), ("localhost:8000", "not a service URL"), ("nope", "not a service URL")],
)
def test_unreachable_or_malformed_service_urls_are_one_line(url, said):
    assert said in one_line_failure(zkelig("audit", "--url", url))
    helper = subprocess.run(
        [sys.executable, "-m", "service", "admin", "key", "auditor", "--url", url, "--api-key", "k"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert said in one_line_failure(helper)


def _serve(*args, keys_root, data):
    import os
    import secrets

    # a strong key: a weak one is refused before the checks these tests are about
    env = {**os.environ, "ZKELIG_KEYS": str(keys_root), "ZKELIG_ADMIN_KEY": "zk_" + secrets.token_urlsafe(32)}
    env.pop("ZKELIG_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "service", "serve", "--port", "1", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_serve_refuses_to_start_on_missing_or_mismatched_state(tmp_path, query_keys):
    from service.ledger import Ledger, LedgerKey, open_store

    keys_root = query_keys.directory.parent
    data = tmp_path / "data"
    said = one_line_failure(_serve(keys_root=keys_root, data=data))
    assert "--init" in said and not data.exists()  # no ledger and nothing created without --init
    said = one_line_failure(_serve(keys_root=tmp_path / "no-keys", data=data))
    assert "zkelig setup" in said
    said = one_line_failure(_serve("--database", "sqlite:/x", keys_root=keys_root, data=data))
    assert "unsupported ledger database URL" in said
    said = one_line_failure(
        _serve("--init", "--database", "postgresql://me:hunter2@127.0.0.1:1/x", keys_root=keys_root, data=data)
    )
    assert "cannot use the database postgresql://me:***@127.0.0.1:1/x" in said and "hunter2" not in said
    # a ledger signed by one key, served with another
    data.mkdir()
    ledger = Ledger(open_store(f"sqlite:///{data / 'ledger.db'}"), LedgerKey.load_or_create(tmp_path / "right.key"))
    ledger.register_issuer("insurer-a", bytes(32))
    ledger.close()
    LedgerKey.load_or_create(data / "ledger.key")  # a different key
    said = one_line_failure(_serve(keys_root=keys_root, data=data))
    assert "did not sign the ledger" in said


def test_verifier_request_names_the_presets_and_refuses_another_in_one_line():
    from circuits.requests import PRESETS

    helped = zkelig("verifier", "request", "--help")
    assert helped.returncode == 0 and all(name in helped.stdout for name in PRESETS)
    out = zkelig(
        "verifier",
        "request",
        "hospital-a",
        "hospital-a/x",
        "--issuer",
        "registry",
        "--preset",
        "age_at_most",
        "--url",
        "http://127.0.0.1:1",
        "--api-key",
        "k",
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    message = (out.stdout + out.stderr).strip()
    assert message.count("\n") == 0 and "age_at_most" in message and "insured_on" in message, message
