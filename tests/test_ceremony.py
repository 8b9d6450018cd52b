"""The multi-party ceremony: snarkjs-compatible phase 2 on a Powers of Tau, run by separate processes,
audited by us and by `snarkjs zkey verify`; keys tied to their circuit; single-party keys refused.

The prepared .ptau is made once with snarkjs (`powersoftau new / contribute / prepare phase2`, a
minute or two on two cores at power 12, started in the background when collection ends: early.py)
and kept in .zkelig/ptau, like the keys in .zkelig/keys. The ptau and the ceremony are made once
per session and shared by the tests; the circuit is the smallest credential query circuit (depth 1,
Q 1, M 2), which still has every gadget and fits a power-12 ptau.
"""

import dataclasses
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import NODE_MODULES
from early import Early

from circuits import credentials as cr
from circuits.credential_query import Op, Query, credential_query_circuit
from circuits.requests import ProofRequest, prove_request, verify_presentation
from zkcore.curve import G1, G2
from zkcore.errors import InvalidEncoding
from zkcore.groth16 import read_zkey, write_zkey
from zkcore.groth16.ceremony import _combine, _combine_python, _csr, initial_key, verify_ceremony
from zkcore.groth16.mpc import ChaCha, Transcript, contribute, parse_transcript
from zkcore.groth16.ptau import read_ptau
from zkcore.kernels.combine import sparse_combinations
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.params import R

ROOT = Path(__file__).resolve().parents[1]
DEPTH, Q, M = 1, 1, 2  # 2,085 constraints + 8 public rows ≤ 2^12: a power-12 ptau (2,021 fitted 2^11
CIRCUIT = ["--depth", str(DEPTH), "--queries", str(Q), "--values", str(M)]  # before Poseidon checkpoints)
PTAU_POWER = 12
BEACON = "0f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff"


def snarkjs(node_modules: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(node_modules / "snarkjs" / "cli.js"), *args], capture_output=True, text=True,
                          timeout=1800, cwd=cwd)


def zkelig(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`zkelig …` in its own process and working directory (each party's machine)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True, timeout=1800,
                          cwd=cwd, env=env)


PTAU = ROOT / ".zkelig" / "ptau" / f"pot{PTAU_POWER}.ptau"
_making_ptau: tuple[Early, Path] | None = None


def _make_ptau() -> tuple[Early, Path]:
    """snarkjs's three steps in the background, in this run's own scratch folder beside the cached file."""
    global _making_ptau
    if _making_ptau is None:
        PTAU.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=PTAU.parent, prefix=f"{PTAU.stem}."))
        cli = str(NODE_MODULES / "snarkjs" / "cli.js")
        steps = (("powersoftau", "new", "bn128", str(PTAU_POWER), "p0.ptau"),
                 ("powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=phase 1", "-e=zkelig test phase 1"),
                 ("powersoftau", "prepare", "phase2", "p1.ptau", "p2.ptau"))
        _making_ptau = Early.start([["node", cli, *step] for step in steps], cwd=work), work
    return _making_ptau


def start_early(items) -> None:
    # the ptau is snarkjs's minute and a half on this machine: start it while the suite runs
    if not PTAU.is_file() and (NODE_MODULES / "snarkjs").is_dir() and any("ptau_file" in i.fixturenames for i in items):
        _make_ptau()


@pytest.fixture(scope="session")
def ptau_file(node_modules) -> Path:
    """A prepared Powers of Tau of PTAU_POWER made with snarkjs, cached across runs."""
    if PTAU.is_file():
        return PTAU
    making, work = _make_ptau()
    made = making.wait(timeout=1800)
    assert made.returncode == 0, made.output[-3000:]
    os.replace(work / "p2.ptau", PTAU)  # atomic: a concurrent run sees the whole file or none
    shutil.rmtree(work)
    return PTAU


def _hashes(output: str) -> list[str]:
    """Contribution hashes as printed: four lines of four 8-hex-digit words each."""
    lines = [line.split() for line in output.splitlines()]
    words = [w for w in lines if len(w) == 4 and all(len(x) == 8 for x in w)]
    return [" ".join(" ".join(w) for w in words[i : i + 4]) for i in range(0, len(words), 4)]


# --- unit parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("group", [G1, G2])
def test_combination_kernels_match_their_python_twin(group):
    rng = random.Random(7)
    points = [group.generator() * rng.randrange(1, R) for _ in range(5)] + [group.infinity()]
    bases = np.array([p._kernel() for p in points], dtype=np.uint64)
    rows = [[(0, 1)], [], [(1, R - 1), (1, 1)], [(2, rng.randrange(R)), (3, 5), (5, 9)], [(4, 0)], [(0, 2), (0, R - 2)]]
    rows += [[(0, R - 1)], [(3, rng.randrange(R)), (4, rng.randrange(R)), (3, rng.randrange(R))]]
    csr = _csr(rows)
    twin = _combine_python(bases, *csr)
    assert np.array_equal(sparse_combinations(bases, *csr), twin)
    # the window-table kernel (initial keys): all windows at once, and one window per table group
    assert np.array_equal(_combine(bases, rows)[0], twin)
    assert np.array_equal(np.concatenate(_combine(bases, rows[:3], rows[3:], budget=1)), twin)
    expected = points[2] * rows[3][0][1] + points[3] * 5
    assert np.array_equal(twin[3], np.array(expected._kernel(), dtype=np.uint64))
    assert not twin[1].any() and not twin[4].any()  # no terms, a zero coefficient: infinity


def test_chacha_stream_and_transcript_encoding_are_strict():
    # RFC 8439 A.1 test vector 1 (zero key, nonce and counter): keystream 76 b8 e0 ad a0 f1 3d 90 …
    stream = ChaCha([0] * 8)
    assert [stream.u32(), stream.u32()] == [0xADE0B876, 0x903DF1A0]
    assert ChaCha([0] * 8).u64() == 0xADE0B876 << 32 | 0x903DF1A0
    words = [stream.u32() for _ in range(30)]  # into the second block: the counter moved on
    assert words[14:16] != [0xADE0B876, 0x903DF1A0]
    g = ChaCha([1] * 8).g2()
    assert G2.from_affine(g.x, g.y) == g  # on the curve and in the subgroup after the cofactor
    empty = Transcript(bytes(64)).to_bytes()
    assert parse_transcript(empty) == Transcript(bytes(64))
    for bad in (empty[:-1], empty + b"\0", empty[:64] + (1).to_bytes(4, "little")):
        with pytest.raises(InvalidEncoding):
            parse_transcript(bad)


# --- the ceremony ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ceremony(ptau_file, node_modules, tmp_path_factory):
    """Coordinator, three organisations (separate processes and directories), one snarkjs party, a beacon."""
    base = tmp_path_factory.mktemp("ceremony")
    dirs = {name: base / name for name in ("coordinator", "regulator", "hospitals", "snarkjs", "insurers", "public")}
    for d in dirs.values():
        d.mkdir()
    shutil.copy(ptau_file, dirs["coordinator"] / "pot.ptau")
    made = zkelig("ceremony", "new", "pot.ptau", "k0.zkey", *CIRCUIT, "--r1cs", "circuit.r1cs", cwd=dirs["coordinator"])
    assert made.returncode == 0, made.stderr
    published = {}

    def hand_over(src: Path, dst: Path) -> None:
        shutil.copy(src, dst)

    chain = [("regulator", "k0.zkey", "k1.zkey"), ("hospitals", "k1.zkey", "k2.zkey"),
             ("snarkjs", "k2.zkey", "k3.zkey"), ("insurers", "k3.zkey", "k4.zkey")]
    previous = dirs["coordinator"]
    for party, key_in, key_out in chain:
        hand_over(previous / key_in, dirs[party] / key_in)
        if party == "snarkjs":
            done = snarkjs(node_modules, "zkey", "contribute", key_in, key_out, "--name=insurer via snarkjs",
                           "-e=some typed entropy", cwd=dirs[party])
            assert done.returncode == 0, done.stdout + done.stderr
            published[party] = _hashes(done.stdout + done.stderr)[-1]
        else:
            done = zkelig("ceremony", "contribute", key_in, key_out, "--name", party, "--entropy", f"{party} typed",
                          cwd=dirs[party])
            assert done.returncode == 0, done.stderr
            published[party] = _hashes(done.stdout)[-1]
        previous = dirs[party]
    hand_over(previous / "k4.zkey", dirs["public"] / "k4.zkey")
    for name in ("pot.ptau", "circuit.r1cs"):
        shutil.copy(dirs["coordinator"] / name, dirs["public"] / name)
    done = zkelig("ceremony", "beacon", "k4.zkey", "final.zkey", "--beacon", BEACON, "--iterations-exp", "10",
                  cwd=dirs["public"])
    assert done.returncode == 0, done.stderr
    published["beacon"] = _hashes(done.stdout)[-1]
    return dirs["public"], published, dirs


def test_a_ceremony_across_processes_verifies_with_us_and_with_snarkjs(ceremony, node_modules):
    public, published, dirs = ceremony
    # each party's key differs from the one before only in δ, L, H and the transcript
    assert (dirs["hospitals"] / "k2.zkey").read_bytes() != (dirs["regulator"] / "k1.zkey").read_bytes()
    ours = zkelig("ceremony", "verify", "final.zkey", "--ptau", "pot.ptau", *CIRCUIT, cwd=public)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "OK: 5 contribution(s)" in ours.stdout
    listed = _hashes(ours.stdout)[1:]  # the first block is the circuit hash
    assert listed == [published[p] for p in ("regulator", "hospitals", "snarkjs", "insurers", "beacon")]
    for name in ("#1 contribution regulator", "#3 contribution insurer via snarkjs", "#5 beacon beacon from 0f1e2d"):
        assert name in ours.stdout
    theirs = snarkjs(node_modules, "zkey", "verify", "circuit.r1cs", "pot.ptau", "final.zkey", cwd=public)
    assert theirs.returncode == 0 and "ZKey Ok!" in theirs.stdout + theirs.stderr, theirs.stdout + theirs.stderr


def test_the_final_key_proves_and_verifies(ceremony):
    public, _, _ = ceremony
    pk = read_zkey(public / "final.zkey")
    secret = cr.new_secret()
    credential = cr.issue(cr.PERSON, "registry", cr.id_commitment(secret),
                          {"birthdate": dt.date(1990, 3, 4), "country": 528}, dt.date(2031, 1, 1))
    tree = PoseidonTree(DEPTH)
    path = tree.path(tree.append(credential.leaf))
    cutoff = cr.encode_date(dt.date(2008, 11, 22))
    request = ProofRequest.new(cr.PERSON, ["registry"], [Query(cr.PERSON.slot("birthdate"), Op.LTE, (cutoff,))],
                               "ceremony/test", dt.date(2026, 11, 22), q=Q, m=M)
    presentation = prove_request(credential, secret, path, request, pk)
    assert verify_presentation(pk.vk, request, presentation, {"registry": {tree.root}})
    initial = read_zkey(public.parent / "coordinator" / "k0.zkey")
    assert not verify_presentation(initial.vk, request, presentation, {"registry": {tree.root}})


def test_tampered_contributions_fail_both_verifiers(ceremony, ptau_file, node_modules):
    public, _, _ = ceremony
    final = read_zkey(public / "final.zkey")
    ptau = read_ptau(ptau_file)
    cs = credential_query_circuit(DEPTH, Q, M).cs
    start = initial_key(cs, ptau)
    assert verify_ceremony(cs, ptau, final, start).ok
    assert not verify_ceremony(cs, ptau, start, start).ok  # nobody contributed: δ = 1 is public
    transcript = parse_transcript(final.contributions)
    # the hospitals' contribution claims another secret in G1 than the one its δ used
    forged = dataclasses.replace(transcript.contributions[1], g1_sx=transcript.contributions[1].g1_sx * 2)
    contributions = (transcript.contributions[0], forged, *transcript.contributions[2:])
    lying = dataclasses.replace(transcript, contributions=contributions)
    bad_transcript = dataclasses.replace(final, contributions=lying.to_bytes())
    # a contribution that kept someone's trapdoor: L no longer the initial L over δ
    c = final.c_g1.copy()
    c[[0, 1]] = c[[1, 0]]
    bad_points = dataclasses.replace(final, c_g1=c)
    # a last "contribution" that resets δ to one the forger knows, with an honest-looking record
    own, _ = contribute(start, "forger", ChaCha([9] * 8))
    reset = dataclasses.replace(own, contributions=final.contributions)
    for name, key in (("transcript", bad_transcript), ("points", bad_points), ("reset", reset)):
        report = verify_ceremony(cs, ptau, key, start)
        assert not report.ok, name
        write_zkey(public / f"bad-{name}.zkey", key)
    ours = zkelig("ceremony", "verify", "bad-transcript.zkey", "--ptau", "pot.ptau", *CIRCUIT, cwd=public)
    assert ours.returncode == 1 and "INVALID: contribution 2 (hospitals)" in ours.stdout, ours.stdout + ours.stderr
    # snarkjs checks tampered keys against our initial key (`zkvi`, "zkey verify init": 1 s, not the 20 s
    # `zkey verify` spends rebuilding it from the .r1cs); that our initial key is the one snarkjs builds
    # from the .r1cs is what the full `zkey verify` of the honest ceremony shows.
    initial = str(public.parent / "coordinator" / "k0.zkey")
    theirs = snarkjs(node_modules, "zkvi", initial, "pot.ptau", "final.zkey", cwd=public)
    assert theirs.returncode == 0 and "ZKey Ok!" in theirs.stdout + theirs.stderr, theirs.stdout + theirs.stderr
    for name in ("bad-transcript.zkey", "bad-points.zkey"):
        theirs = snarkjs(node_modules, "zkvi", initial, "pot.ptau", name, cwd=public)
        assert theirs.returncode != 0 and "ZKey Ok!" not in theirs.stdout + theirs.stderr, name


def test_cli_refuses_unusable_input_in_one_line(ceremony, tmp_path):
    public, _, _ = ceremony
    (tmp_path / "junk.zkey").write_bytes(b"zkey" + bytes(20))
    cases = [
        ("ceremony", "contribute", str(tmp_path / "junk.zkey"), str(tmp_path / "o.zkey"), "--name", "x"),
        ("ceremony", "contribute", str(public / "final.zkey"), str(public / "k4.zkey"), "--name", "x"),  # exists
        ("ceremony", "beacon", str(public / "final.zkey"), str(tmp_path / "b.zkey"), "--beacon", "xyz"),
        ("ceremony", "verify", str(public / "final.zkey"), "--ptau", str(public / "circuit.r1cs"), *CIRCUIT),
        ("ceremony", "new", str(tmp_path / "missing.ptau"), str(tmp_path / "k.zkey"), *CIRCUIT),
    ]
    for args in cases:
        done = zkelig(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


# --- keys in the service --------------------------------------------------------------------------


def test_keys_are_tied_to_their_circuit_and_single_party_keys_need_dev_mode(ceremony, ptau_file, tmp_path):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.keys import (
        KeysForAnotherCircuit,
        KeysRefused,
        check_servable,
        ensure_keys,
        load_keys,
        r1cs_digest,
    )
    from service.settings import Settings

    dev_root = tmp_path / "dev"
    dev = ensure_keys(dev_root, DEPTH, Q, M)
    assert dev.single_party and dev.metadata["r1cs_sha256"] == r1cs_digest(credential_query_circuit(DEPTH, Q, M).cs)
    with pytest.raises(KeysRefused, match="dev-setup"):
        check_servable(dev, dev_setup=False)
    check_servable(dev, dev_setup=True)
    with pytest.raises(KeysRefused):
        create_app(Settings(data_dir=tmp_path / "d1", keys_dir=dev_root, tree_depth=DEPTH, queries=Q, values=M,
                            dev_setup=False))
    # keys recorded for another circuit are refused, with what to do
    meta = json.loads((dev.directory / "metadata.json").read_text())
    (dev.directory / "metadata.json").write_text(json.dumps(meta | {"r1cs_sha256": "00" * 32}))
    with pytest.raises(KeysForAnotherCircuit, match="run `zkelig setup` \\(or the ceremony\\) again"):
        ensure_keys(dev_root, DEPTH, Q, M)
    with pytest.raises(KeysForAnotherCircuit):
        load_keys(dev.directory, r1cs_digest(credential_query_circuit(DEPTH, Q, M).cs))
    assert ensure_keys(dev_root, DEPTH, Q, M, replace_stale=True).metadata["r1cs_sha256"] == meta["r1cs_sha256"]

    # a ceremony's key is served without development mode and publishes its transcript
    public, published, _ = ceremony
    root = tmp_path / "prod"
    done = zkelig("ceremony", "install", "final.zkey", "--ptau", "pot.ptau", *CIRCUIT, "--keys", str(root), cwd=public)
    assert done.returncode == 0, done.stderr
    app = create_app(Settings(data_dir=tmp_path / "d2", keys_dir=root, tree_depth=DEPTH, queries=Q, values=M,
                              dev_setup=False))
    with TestClient(app) as client:
        body = client.get("/v1/keys").json()["circuits"][0]
    assert body["setup"] == "ceremony"
    hashes = [c["hash"] for c in body["transcript"]["contributions"]]
    assert [" ".join(h[i : i + 8] for i in range(0, 128, 8)) for h in hashes] == \
        [published[p] for p in ("regulator", "hospitals", "snarkjs", "insurers", "beacon")]
    assert body["transcript"]["contributions"][-1]["beacon_hash"] == BEACON
    # a ceremony key for another circuit is never silently replaced by a development setup
    installed = root / dev.directory.name
    meta = json.loads((installed / "metadata.json").read_text())
    (installed / "metadata.json").write_text(json.dumps(meta | {"r1cs_sha256": "11" * 32}))
    with pytest.raises(KeysForAnotherCircuit):
        ensure_keys(root, DEPTH, Q, M, replace_stale=True)
    # install refuses a key whose chain does not verify
    final = read_zkey(public / "final.zkey")
    c = final.c_g1.copy()
    c[[0, 1]] = c[[1, 0]]
    write_zkey(tmp_path / "bad.zkey", dataclasses.replace(final, c_g1=c))
    bad = zkelig("ceremony", "install", str(tmp_path / "bad.zkey"), "--ptau", "pot.ptau", *CIRCUIT,
                 "--keys", str(tmp_path / "x"), cwd=public)
    assert bad.returncode == 1 and not (tmp_path / "x").exists()
