"""Setup artifacts for the credential query circuit: a content-addressed keys directory.

    keys/credential-query-d20-q4-m8/
        circuit.zkey             proving key (snarkjs format)
        verification_key.json    snarkjs verification key
        transcript.json          how the key was made: a ceremony's contributions and their hashes, or
                                 the single-party setup's receipts
        witness_program.json     the witness program a wallet runs (circuits/witness_program.py)
        poseidon_constants.json  the Poseidon constants it names by digest
        metadata.json            parameters, constraint count, the circuit's R1CS sha256, sha256 of every
                                 file above, provenance, and `setup`: "ceremony" or "single-party"

A key belongs to one circuit: metadata records the sha256 of the circuit's .r1cs encoding, and a
key whose circuit is not the one compiled now is refused (any change to the circuit makes old keys
unsound or useless). `ensure_keys` loads a directory whose files still match their recorded digests
and otherwise generates it (compile, single-party setup, contributions, write), so tests and the demo
pay for a setup once. `install_ceremony_keys` writes the directory from a ceremony's final key instead.
The service serves single-party keys only in development mode (`check_servable`).
The witness program is derived from the circuit alone: a directory without it (or whose copy no
longer matches its digest) gets it written and recorded, not a new setup.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from circuits import witness_program
from circuits.credential_query import DEFAULT_DEPTH, DEFAULT_M, DEFAULT_Q, PUBLIC_INPUTS, credential_query_circuit
from zkcore.errors import InvalidEncoding
from zkcore.groth16 import (
    SINGLE_PARTY_WARNING,
    ProvingKey,
    VerifyingKey,
    contribute,
    key_digest,
    r1cs_bytes,
    read_zkey,
    setup_r1cs,
    verify_contribution,
    write_zkey,
)

from .settings import default_keys_dir

FILES = ("circuit.zkey", "verification_key.json", "transcript.json")
DEFAULT_CONTRIBUTORS = ("zkelig-demo-regulator", "zkelig-demo-hospitals")


class KeysForAnotherCircuit(Exception):
    """The keys on disk were made for a different circuit (or before circuits were recorded)."""


class KeysRefused(Exception):
    """Keys the service must not serve (a single-party setup outside development mode)."""


def r1cs_digest(cs) -> str:
    """sha256 of the circuit's .r1cs encoding: what ties a key to its circuit."""
    return hashlib.sha256(r1cs_bytes(cs)).hexdigest()


def circuit_name(depth: int, q: int, m: int) -> str:
    return f"credential-query-d{depth}-q{q}-m{m}"


def vk_digest(vk: VerifyingKey) -> str:
    """sha256 of the canonical JSON of the snarkjs verification key: what the ledger registers."""
    return hashlib.sha256(json.dumps(vk.to_snarkjs(), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class KeySet:
    directory: Path
    metadata: dict

    @cached_property
    def pk(self) -> ProvingKey:
        return read_zkey(self.directory / "circuit.zkey")

    @cached_property
    def vk(self) -> VerifyingKey:
        return VerifyingKey.from_snarkjs(json.loads((self.directory / "verification_key.json").read_text()))

    @property
    def vk_digest(self) -> str:
        return self.metadata["vk_digest"]

    @property
    def single_party(self) -> bool:
        return self.metadata.get("setup") != "ceremony"

    @cached_property
    def transcript(self) -> dict:
        return json.loads((self.directory / "transcript.json").read_text())


def check_servable(keys: KeySet, dev_setup: bool) -> None:
    """KeysRefused unless the keys came from a ceremony or development mode is on."""
    if keys.single_party and not dev_setup:
        raise KeysRefused(
            f"{keys.directory} holds a single-party setup (whoever ran it can forge proofs): install a "
            "ceremony's key with `zkelig ceremony install`, or start in development mode "
            "(`zkelig serve --dev-setup` or ZKELIG_DEV_SETUP=1)"
        )


def check_circuit(keys: KeySet, expected_r1cs: str) -> None:
    """KeysForAnotherCircuit unless the keys record this circuit's R1CS digest."""
    recorded = keys.metadata.get("r1cs_sha256")
    if recorded != expected_r1cs:
        what = f"circuit R1CS sha256 {recorded}" if recorded else "a circuit this version cannot identify"
        raise KeysForAnotherCircuit(
            f"the keys in {keys.directory} were made for {what}, not for this circuit ({expected_r1cs}): "
            "run `zkelig setup` (or the ceremony) again"
        )


def load_keys(directory: Path, expected_r1cs: str | None = None) -> KeySet:
    """A keys directory whose files match the digests in its metadata; InvalidEncoding otherwise.

    With expected_r1cs, also KeysForAnotherCircuit unless the keys are for that circuit.
    """
    try:
        metadata = json.loads((directory / "metadata.json").read_text())
        recorded = metadata["files"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InvalidEncoding(f"{directory}: no readable metadata.json ({e})") from None
    for name in FILES:
        path = directory / name
        if not path.is_file() or _sha256_file(path) != recorded.get(name):
            raise InvalidEncoding(f"{directory / name} is missing or does not match its recorded sha256")
    keys = KeySet(directory, metadata)
    if expected_r1cs is not None:
        check_circuit(keys, expected_r1cs)
    return keys


def _write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


def generate_keys(
    directory: Path,
    depth: int = DEFAULT_DEPTH,
    q: int = DEFAULT_Q,
    m: int = DEFAULT_M,
    contributors: Sequence[str] = DEFAULT_CONTRIBUTORS,
    progress: Callable[[str], None] = lambda step: None,
) -> KeySet:
    """Compile, set up, apply and check each contribution, then write files and metadata last."""
    progress("compiling the circuit")
    circuit = credential_query_circuit(depth, q, m)
    progress("initial setup")
    pk = setup_r1cs(circuit.cs)
    receipts = []
    for name in contributors:
        progress(f"contribution by {name}")
        after, receipt = contribute(pk, name)
        if not verify_contribution(pk, after, receipt):
            raise RuntimeError(f"contribution by {name} does not verify")
        pk = after
        receipts.append(
            {
                "name": receipt.name,
                "before": receipt.before,
                "after": receipt.after,
                "delta_g1": receipt.delta_g1.to_snarkjs(),
                "delta_g2": receipt.delta_g2.to_snarkjs(),
            }
        )
    progress("writing the keys")
    directory.mkdir(parents=True, exist_ok=True)
    provenance = (SINGLE_PARTY_WARNING if not contributors else
                  f"single-party setup followed by {len(contributors)} verified contribution(s); "
                  "sound if one contributor was honest")
    transcript = {"initial": "single-party setup", "contributions": receipts}
    return _write_keys(directory, circuit, (depth, q, m), pk, transcript, "single-party", provenance)


def _write_keys(directory: Path, circuit, shape: tuple[int, int, int], pk: ProvingKey, transcript: dict, setup: str,
                provenance: str) -> KeySet:
    """Write the key files, then metadata.json last (with every file's digest): a directory without
    it, or whose digests do not match, is never taken for keys."""
    write_zkey(directory / "circuit.zkey", pk)
    _write_atomic(directory / "verification_key.json", json.dumps(pk.vk.to_snarkjs(), indent=1).encode())
    _write_atomic(directory / "transcript.json", json.dumps(transcript, indent=1).encode())
    depth, q, m = shape
    metadata = {
        "circuit": circuit_name(depth, q, m),
        "depth": depth,
        "q": q,
        "m": m,
        "constraints": circuit.n_constraints,
        "public_inputs": list(PUBLIC_INPUTS),
        "r1cs_sha256": r1cs_digest(circuit.cs),
        "setup": setup,
        "provenance": provenance,
        "key_digest": key_digest(pk),
        "vk_digest": vk_digest(pk.vk),
        "files": {name: _sha256_file(directory / name) for name in FILES},
    }
    _write_atomic(directory / "metadata.json", json.dumps(metadata, indent=1).encode())
    return KeySet(directory, metadata)


def _recorded_setup(directory: Path) -> str | None:
    try:
        return json.loads((directory / "metadata.json").read_text()).get("setup")
    except (OSError, ValueError, AttributeError):
        return None


def ensure_keys(
    root: Path | None = None,
    depth: int = DEFAULT_DEPTH,
    q: int = DEFAULT_Q,
    m: int = DEFAULT_M,
    progress: Callable[[str], None] = lambda step: None,
    replace_stale: bool = False,
) -> KeySet:
    """The keys for (depth, Q, M) under `root`, generated once and reused while their digests match.

    Keys for another circuit raise KeysForAnotherCircuit, unless replace_stale (what `zkelig setup`
    does) and they are a single-party setup: a ceremony's key is never overwritten.
    """
    directory = (root or default_keys_dir()) / circuit_name(depth, q, m)
    expected = r1cs_digest(credential_query_circuit(depth, q, m).cs)
    try:
        keyset = load_keys(directory, expected)
    except InvalidEncoding:
        if _recorded_setup(directory) == "ceremony":
            raise  # a damaged ceremony key is reinstalled from the ceremony, never replaced by a dev setup
        keyset = generate_keys(directory, depth, q, m, progress=progress)
    except KeysForAnotherCircuit:
        if not replace_stale or not load_keys(directory).single_party:
            raise
        keyset = generate_keys(directory, depth, q, m, progress=progress)
    return ensure_witness_program(keyset, progress)


def install_ceremony_keys(
    root: Path | None, depth: int, q: int, m: int, pk: ProvingKey, report, ptau_sha256: str
) -> KeySet:
    """The keys directory for a ceremony's final key, which `report` (a verified CeremonyReport) vouches for."""
    if not report.ok:
        raise ValueError("the ceremony does not verify: " + "; ".join(report.problems))
    circuit = credential_query_circuit(depth, q, m)
    directory = (root or default_keys_dir()) / circuit_name(depth, q, m)
    directory.mkdir(parents=True, exist_ok=True)
    transcript = {
        "initial": "snarkjs phase 2 on a Powers of Tau phase 1",
        "ptau_sha256": ptau_sha256,
        "circuit_hash": report.circuit_hash.hex(),
        "contributions": [
            {"name": c.name, "kind": "beacon" if c.kind else "contribution", "hash": c.hash.hex()}
            | ({"beacon_hash": c.beacon_hash.hex(), "iterations_exp": c.iterations_exp} if c.kind else {})
            for c in report.contributions
        ],
    }
    provenance = (f"ceremony of {len(report.contributions)} contribution(s) on a Powers of Tau phase 1, "
                  "verified on installation; sound if one contributor (or the phase-1 ceremony's) was honest")
    return ensure_witness_program(_write_keys(directory, circuit, (depth, q, m), pk, transcript, "ceremony",
                                              provenance))


def ensure_witness_program(keyset: KeySet, progress: Callable[[str], None] = lambda step: None) -> KeySet:
    """The key set with its witness program files present and recorded (written from the circuit if not)."""
    recorded = keyset.metadata["files"]
    paths = {name: keyset.directory / name for name in witness_program.ARTIFACT_FILES}
    if all(path.is_file() and _sha256_file(path) == recorded.get(name) for name, path in paths.items()):
        return keyset
    progress("exporting the witness program")
    meta = keyset.metadata
    files = witness_program.export(credential_query_circuit(meta["depth"], meta["q"], meta["m"]), meta["circuit"])
    for name, data in files.items():
        _write_atomic(keyset.directory / name, data)
    metadata = {**meta, "files": {**recorded, **{n: _sha256_file(keyset.directory / n) for n in files}}}
    _write_atomic(keyset.directory / "metadata.json", json.dumps(metadata, indent=1).encode())
    return KeySet(keyset.directory, metadata)
