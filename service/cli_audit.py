"""`zkelig audit`: replay a ledger from its database or a running service and check it.

Exit codes: 0 consistent, 1 inconsistent (the first bad entry is named), 2 unusable input.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import typer


def _public_key(public_key: str | None, key_file: Path | None) -> bytes:
    if key_file is not None:
        from .ledger import LedgerKey

        if not key_file.exists():
            raise typer.BadParameter(f"{key_file} does not exist")
        return LedgerKey.load_or_create(key_file).public_key
    if public_key is None:
        raise typer.BadParameter("give the ledger's public key (--public-key) or its key file (--key-file)")
    for decode in (bytes.fromhex, lambda s: base64.b64decode(s, validate=True)):
        try:
            raw = decode(public_key)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    raise typer.BadParameter("the public key is 32 bytes in hex or base64")


def audit_command(
    db: str = typer.Option(None, help="ledger database URL: sqlite:///path or postgresql://…"),
    url: str = typer.Option(None, help="a running service's base URL (http://127.0.0.1:8000)"),
    public_key: str = typer.Option(None, help="the ledger's Ed25519 public key, hex or base64"),
    key_file: Path = typer.Option(None, help="the ledger's key file (its public half is used)"),
    tree_depth: int = typer.Option(20, min=1, max=32, help="issuer tree depth"),
) -> None:
    """Replay the ledger, check every entry, signed head and consistency proof; report counts."""
    from .ledger.audit import DatabaseSource, audit

    if (db is None) == (url is None):
        raise typer.BadParameter("give exactly one of --db and --url")
    if url is not None:
        from .client import ApiAuditSource

        source = ApiAuditSource(url)
        key = _public_key(public_key, key_file) if (public_key or key_file) else source.public_key()
    else:
        from .ledger import open_store

        key = _public_key(public_key, key_file)
        try:
            source = DatabaseSource(open_store(db))
        except ValueError as err:
            raise typer.BadParameter(str(err)) from None
    from rich.console import Console  # here, not at the top: every other command starts without rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.progress import TimeRemainingColumn
    from rich.table import Table

    console = Console(stderr=True)
    columns = (TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("audit", total=None)
        report = audit(source, key, tree_depth, progress=lambda done, total: bar.update(task, completed=done, total=total))
    out = Console()
    table = Table(title=f"ledger: {report.size} entries, {report.heads} signed heads")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, n in sorted(report.kinds.items()):
        table.add_row(f"entries: {kind}", str(n))
    for name, counts in sorted(report.issuers.items()):
        table.add_row(f"issuer {name}", f"{counts['credentials']} credentials, {counts['revoked']} revoked")
    for scope, n in sorted(report.scopes.items()):
        table.add_row(f"scope {scope[:18]}…", f"{n} nullifiers")
    out.print(table)
    if not report.ok:
        out.print(f"[bold red]INCONSISTENT[/]: {report.problem}")
        raise typer.Exit(1)
    out.print("[bold green]consistent[/]: every entry, signed head and consistency proof checks out")
