"""`zkelig groth16 …`: snarkjs-compatible commands, same argument order as snarkjs.

Exit codes: 0 valid, 1 invalid proof, 2 malformed input (one line on stderr, no trace).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import typer

groth16_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Groth16 proofs in snarkjs formats.")

EXIT_INVALID = 1
EXIT_MALFORMED = 2


def _read_json(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Malformed(f"{what} {path} is not valid JSON: {exc}") from None


class _Malformed(Exception):
    pass


@contextmanager
def _exit_2_on_malformed_input():
    """Unreadable files and malformed content end the command with one line and exit code 2."""
    from zkcore.errors import ZkError

    try:
        yield
    except OSError as exc:
        typer.echo(f"error: cannot read {exc.filename}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_MALFORMED) from None
    except (_Malformed, ZkError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_MALFORMED) from None


@groth16_app.command("verify")
def verify_cmd(
    verification_key: Path = typer.Argument(..., help="verification_key.json"),
    public: Path = typer.Argument(..., help="public.json (public signals)"),
    proof: Path = typer.Argument(..., help="proof.json"),
) -> None:
    """Verify a Groth16 proof: prints OK (exit 0) or INVALID (exit 1); malformed input exits 2."""
    from zkcore.groth16 import Proof, VerifyingKey, public_inputs_from_snarkjs, verify

    with _exit_2_on_malformed_input():
        vk = VerifyingKey.from_snarkjs(_read_json(verification_key, "verification key"))
        signals = public_inputs_from_snarkjs(_read_json(public, "public signals"))
        pi = Proof.from_snarkjs(_read_json(proof, "proof"))
        ok = verify(vk, pi, signals)
    typer.echo("OK" if ok else "INVALID")
    raise typer.Exit(0 if ok else EXIT_INVALID)


@groth16_app.command("prove")
def prove_cmd(
    zkey: Path = typer.Argument(..., help="circuit.zkey (snarkjs Groth16 proving key)"),
    witness: Path = typer.Argument(..., help="witness.wtns"),
    proof: Path = typer.Argument(..., help="proof.json to write"),
    public: Path = typer.Argument(..., help="public.json to write"),
) -> None:
    """Prove from a proving key and a witness; writes proof.json and public.json (snarkjs formats).
    Exit codes: 0 done, 2 malformed input."""
    from zkcore.groth16 import prove, public_inputs_to_snarkjs, public_signals, read_wtns, read_zkey

    with _exit_2_on_malformed_input():
        pk = read_zkey(zkey)
        values = read_wtns(witness)
        pi = prove(pk, values)
    proof.write_text(json.dumps(pi.to_snarkjs(), indent=1))
    public.write_text(json.dumps(public_inputs_to_snarkjs(public_signals(pk, values)), indent=1))


@groth16_app.command("export-vk")
def export_vk_cmd(
    zkey: Path = typer.Argument(..., help="circuit.zkey"),
    verification_key: Path = typer.Argument(..., help="verification_key.json to write"),
) -> None:
    """Export a .zkey's verification key as snarkjs's verification_key.json. Exit codes: 0 done, 2 malformed input."""
    from zkcore.groth16 import read_zkey

    with _exit_2_on_malformed_input():
        pk = read_zkey(zkey)
    verification_key.write_text(json.dumps(pk.vk.to_snarkjs(), indent=1))
