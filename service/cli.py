"""The `zkelig` command line."""

from __future__ import annotations

import typer

from .cli_groth16 import groth16_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="zkelig: eligibility proofs that reveal nothing else.")
app.add_typer(groth16_app, name="groth16")


@app.command()
def demo() -> None:
    """Run the end-to-end story on this machine (what exists of it so far)."""
    from .demo import run_demo

    raise typer.Exit(run_demo())
