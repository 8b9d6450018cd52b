"""The `zkelig` command line."""

from __future__ import annotations

from pathlib import Path

import typer

from .cli_audit import audit_command
from .cli_groth16 import groth16_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="zkelig: eligibility proofs that reveal nothing else.")
app.add_typer(groth16_app, name="groth16")
app.command("audit")(audit_command)


@app.command()
def setup(
    keys: Path = typer.Option(None, help="keys root (default: $ZKELIG_KEYS or .zkelig/keys)"),
    depth: int = typer.Option(20, min=1, max=32, help="issuer tree depth"),
    queries: int = typer.Option(4, "--queries", "-q", min=1, max=16, help="queries per proof (Q)"),
    values: int = typer.Option(8, "--values", "-m", min=2, max=16, help="values per query (M)"),
) -> None:
    """Generate (or check and reuse) the credential query circuit's keys."""
    from rich.progress import Progress

    from .keys import ensure_keys

    with Progress(transient=True) as bar:
        task = bar.add_task("setup", total=None)
        keyset = ensure_keys(keys, depth, queries, values, progress=lambda step: bar.update(task, description=step))
    meta = keyset.metadata
    typer.echo(f"{keyset.directory}: {meta['constraints']} constraints, vk sha256 {meta['vk_digest']}")
    typer.echo(meta["provenance"])


@app.command()
def demo() -> None:
    """Run the end-to-end story on this machine (what exists of it so far)."""
    from .demo import run_demo

    raise typer.Exit(run_demo())
