"""`zkelig ceremony …`: a Groth16 phase-2 ceremony that organisations run on their own machines.

    new        circuit + prepared .ptau → initial key (what `snarkjs zkey new` makes, byte for byte)
    contribute IN OUT --name   one party's contribution; prints the hash to publish
    beacon     IN OUT --beacon HEX   the final step, from a public random value
    verify     KEY --ptau   anyone: replays the chain from the ptau and the circuit
    install    KEY --ptau   verify, then make the keys directory the service serves

Every key is a snarkjs .zkey: `snarkjs zkey contribute` can take a turn between ours, and
`snarkjs zkey verify circuit.r1cs pot.ptau final.zkey` audits the result.
Exit codes: 0 done (verify: the ceremony is sound), 1 verify found a bad chain, 2 unusable input
(one line on stderr saying what to do).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

import typer

from circuits.defaults import DEFAULT_DEPTH, DEFAULT_M, DEFAULT_Q

ceremony_app = typer.Typer(no_args_is_help=True, help="A multi-party trusted setup (snarkjs-compatible phase 2).")

EXIT_BAD_CHAIN = 1
EXIT_UNUSABLE = 2

_DEPTH = typer.Option(DEFAULT_DEPTH, min=1, max=32, help="issuer tree depth of the credential query circuit")
_QUERIES = typer.Option(DEFAULT_Q, "--queries", "-q", min=1, max=16, help="queries per proof (Q)")
_VALUES = typer.Option(DEFAULT_M, "--values", "-m", min=2, max=16, help="values per query (M)")
_PTAU = typer.Option(..., "--ptau", help="Powers of Tau file prepared for phase 2 (snarkjs .ptau)")


@contextmanager
def _one_line_errors():
    """Unreadable or malformed files end the command with one line and exit code 2."""
    from zkcore.errors import ZkError

    try:
        yield
    except OSError as exc:
        typer.echo(f"error: cannot use {exc.filename}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None
    except (ZkError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from None


def _circuit(depth: int, queries: int, values: int):
    from circuits.credential_query import credential_query_circuit

    return credential_query_circuit(depth, queries, values).cs


def _read_key(path: Path):
    from zkcore.groth16 import read_zkey
    from zkcore.groth16.mpc import parse_transcript

    pk = read_zkey(path)
    parse_transcript(pk.contributions)  # a key without a ceremony transcript is not a ceremony's
    return pk


def _write_key(path: Path, pk) -> None:
    from zkcore.groth16 import write_zkey

    if path.exists():
        raise ValueError(f"{path} exists; choose a new file name (a ceremony keeps every step)")
    write_zkey(path, pk)


def _hash_lines(digest: bytes) -> str:
    from zkcore.groth16.mpc import format_hash

    return "\n".join("    " + line for line in format_hash(digest).splitlines())


@ceremony_app.command("new")
def new_cmd(
    ptau: Path = typer.Argument(..., help="prepared .ptau (phase 1)"),
    out: Path = typer.Argument(..., help="initial .zkey to write"),
    depth: int = _DEPTH,
    queries: int = _QUERIES,
    values: int = _VALUES,
    r1cs: Path = typer.Option(None, help="also write the circuit as .r1cs (for snarkjs zkey verify)"),
) -> None:
    """Start a ceremony: the credential query circuit's initial key from a phase-1 .ptau."""
    from zkcore.groth16 import write_r1cs
    from zkcore.groth16.ceremony import initial_key
    from zkcore.groth16.mpc import parse_transcript
    from zkcore.groth16.ptau import read_ptau

    with _one_line_errors():
        cs = _circuit(depth, queries, values)
        pk = initial_key(cs, read_ptau(ptau))
        _write_key(out, pk)
        if r1cs:
            write_r1cs(r1cs, cs)
    typer.echo(f"{out}: initial key for the credential query circuit (depth {depth}, Q {queries}, M {values})")
    typer.echo("circuit hash:\n" + _hash_lines(parse_transcript(pk.contributions).circuit_hash))


@ceremony_app.command("contribute")
def contribute_cmd(
    key_in: Path = typer.Argument(..., help="the last key of the ceremony"),
    key_out: Path = typer.Argument(..., help="the key to write and hand to the next party"),
    name: str = typer.Option(..., "--name", help="who contributes (recorded in the transcript, 64 characters)"),
    entropy: str = typer.Option(None, "--entropy", help="text mixed into the OS's randomness (asked for when "
                                                        "interactive and not given; optional)"),
) -> None:
    """Add one party's secret to the key; prints the contribution hash to publish.

    The secret is drawn from the operating system's randomness mixed with the typed text, used once
    and never written anywhere: only the key it produced and the public record leave this process.
    """
    import sys

    from zkcore.groth16.mpc import contribute, entropy_rng

    if entropy is None:
        entropy = typer.prompt("Type some random text (extra entropy, not stored; Enter to skip)", default="",
                               hide_input=True, show_default=False) if sys.stdin.isatty() else ""
    with _one_line_errors():
        pk = _read_key(key_in)
        after, contribution = contribute(pk, name, entropy_rng(entropy))
        _write_key(key_out, after)
    typer.echo(f"{key_out}: contribution by {name}; publish its hash:\n" + _hash_lines(contribution.hash))


@ceremony_app.command("beacon")
def beacon_cmd(
    key_in: Path = typer.Argument(..., help="the last key of the ceremony"),
    key_out: Path = typer.Argument(..., help="the final key"),
    beacon: str = typer.Option(..., "--beacon", help="the public random value, hex (e.g. a future block hash)"),
    iterations_exp: int = typer.Option(10, "--iterations-exp", min=10, max=63,
                                       help="sha256 is applied 2^N times to the value (snarkjs's numIterationsExp)"),
    name: str = typer.Option("beacon", "--name", help="name recorded for the beacon step"),
) -> None:
    """Finish with a public random value anyone can re-derive (snarkjs's `zkey beacon`)."""
    from zkcore.groth16.mpc import beacon as apply_beacon

    with _one_line_errors():
        value = beacon[2:] if beacon.startswith("0x") else beacon
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise ValueError("--beacon must be hexadecimal (an even number of 0-9a-f digits)") from None
        after, contribution = apply_beacon(_read_key(key_in), name, raw, iterations_exp)
        _write_key(key_out, after)
    typer.echo(f"{key_out}: beacon applied; its hash:\n" + _hash_lines(contribution.hash))


def _verify(key: Path, ptau: Path, depth: int, queries: int, values: int):
    from zkcore.groth16.ceremony import verify_ceremony
    from zkcore.groth16.ptau import read_ptau

    pk = _read_key(key)
    return pk, verify_ceremony(_circuit(depth, queries, values), read_ptau(ptau), pk)


def _print_report(report) -> None:
    typer.echo("circuit hash:\n" + _hash_lines(report.circuit_hash))
    for i, c in enumerate(report.contributions, 1):
        what = "beacon" if c.kind else "contribution"
        extra = f" from {c.beacon_hash.hex()} (2^{c.iterations_exp} sha256)" if c.kind else ""
        typer.echo(f"#{i} {what} {c.name or '(no name)'}{extra}\n" + _hash_lines(c.hash))
    for problem in report.problems:
        typer.echo(f"INVALID: {problem}")


@ceremony_app.command("verify")
def verify_cmd(
    key: Path = typer.Argument(..., help="a ceremony key (usually the final one)"),
    ptau: Path = _PTAU,
    depth: int = _DEPTH,
    queries: int = _QUERIES,
    values: int = _VALUES,
) -> None:
    """Replay the ceremony from the ptau and the circuit; lists every contribution and its hash."""
    with _one_line_errors():
        _, report = _verify(key, ptau, depth, queries, values)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_CHAIN)
    typer.echo(f"OK: {len(report.contributions)} contribution(s); sound if one of them (and phase 1) was honest")
    if not any(c.kind for c in report.contributions):
        typer.echo("note: no beacon yet; finish with `zkelig ceremony beacon` before use")


@ceremony_app.command("install")
def install_cmd(
    key: Path = typer.Argument(..., help="the ceremony's final key"),
    ptau: Path = _PTAU,
    depth: int = _DEPTH,
    queries: int = _QUERIES,
    values: int = _VALUES,
    keys: Path = typer.Option(None, help="keys root (default: $ZKELIG_KEYS or .zkelig/keys)"),
) -> None:
    """Verify the ceremony, then install its key as the keys the service serves."""
    from .keys import install_ceremony_keys

    with _one_line_errors():
        pk, report = _verify(key, ptau, depth, queries, values)
        if not report.ok:
            _print_report(report)
            raise typer.Exit(EXIT_BAD_CHAIN)
        ptau_sha = hashlib.sha256(ptau.read_bytes()).hexdigest()
        keyset = install_ceremony_keys(keys, depth, queries, values, pk, report, ptau_sha)
    typer.echo(f"{keyset.directory}: ceremony key installed, vk sha256 {keyset.vk_digest}")
