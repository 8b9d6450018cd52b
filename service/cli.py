"""The `zkelig` command line."""

from __future__ import annotations

from pathlib import Path

import typer

from .cli_actors import admin_app, issuer_app, verifier_app
from .cli_audit import audit_command
from .cli_funds import funds_app
from .cli_groth16 import groth16_app
from .cli_receipt import receipt_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="zkelig: eligibility proofs that reveal nothing else.")
app.add_typer(groth16_app, name="groth16")
app.command("audit")(audit_command)
app.add_typer(admin_app, name="admin")
app.add_typer(issuer_app, name="issuer")
app.add_typer(verifier_app, name="verifier")
app.add_typer(funds_app, name="funds")
app.add_typer(receipt_app, name="receipt")


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
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    workers: int = typer.Option(1, min=1, max=64, help="worker processes (each a ledger replica)"),
    database: str = typer.Option(None, envvar="ZKELIG_DATABASE_URL", help="ledger database URL (default: SQLite in the data directory)"),
    data_dir: Path = typer.Option(None, envvar="ZKELIG_DATA_DIR", help="data directory (ledger key, SQLite file); default .zkelig/data"),
    admin_key: str = typer.Option(None, envvar="ZKELIG_ADMIN_KEY", help="the admin API key"),
) -> None:
    """Run the HTTP service (uvicorn). Workers share the database; each catches up on the others' entries."""
    import os

    import uvicorn

    from .keys import ensure_keys
    from .settings import Settings

    # OpenMP threads of the parallel kernels sleep when idle rather than spin, leaving the cores to requests.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for name, value in (("ZKELIG_DATABASE_URL", database), ("ZKELIG_DATA_DIR", data_dir), ("ZKELIG_ADMIN_KEY", admin_key)):
        if value:
            os.environ[name] = str(value)  # workers build their Settings from the environment
    settings = Settings()
    ensure_keys(settings.keys_dir, settings.tree_depth, settings.queries, settings.values)  # once, before workers start
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def demo() -> None:
    """Run the end-to-end story on this machine (what exists of it so far)."""
    from .demo import run_demo

    raise typer.Exit(run_demo())
