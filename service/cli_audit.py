"""`zkelig audit`: replay a ledger from its database or a running service and check it.

Exit codes: 0 consistent, 1 inconsistent (the first bad entry is named), 2 unusable input (a
database that does not exist or holds no ledger, a service that cannot be reached, a bad key):
one line on stderr says what to do. Nothing is ever created.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import typer

from circuits.defaults import DEFAULT_DEPTH

from .cli_errors import connection_problem, fail


def _public_key(public_key: str | None, key_file: Path | None) -> bytes:
    if key_file is not None:
        from zkcore.errors import InvalidEncoding

        from .ledger import LedgerKey

        if not key_file.is_file():
            fail(f"{key_file} does not exist: give the ledger's key file (ledger.key in its data directory)")
        try:
            return LedgerKey.load_or_create(key_file).public_key
        except (InvalidEncoding, ValueError):
            fail(f"{key_file} is not a ledger key: give ledger.key from the ledger's data directory")
    if public_key is None:
        fail("give the ledger's public key (--public-key) or its key file (--key-file)")
    for decode in (bytes.fromhex, lambda s: base64.b64decode(s, validate=True)):
        try:
            raw = decode(public_key)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    fail("the public key is 32 bytes in hex or base64 (what `zkelig serve` prints as the ledger key)")


def _reraise(err: Exception):
    raise err


def audit_command(
    db: str = typer.Option(None, help="ledger database URL: sqlite:///path or postgresql://…"),
    url: list[str] = typer.Option(None, help="a running service's base URL (http://127.0.0.1:8000); "
                                  "with --follow, repeat it for every copy of the ledger to compare"),
    public_key: str = typer.Option(None, help="the ledger's Ed25519 public key, hex or base64"),
    key_file: Path = typer.Option(None, help="the ledger's key file (its public half is used)"),
    tree_depth: int = typer.Option(DEFAULT_DEPTH, min=1, max=32, help="issuer tree depth"),
    follow: bool = typer.Option(False, "--follow", help="keep following the ledger (see service/cli_monitor.py)"),
    checkpoint: list[Path] = typer.Option(None, help="with --follow: a checkpoint seen elsewhere, to compare"),
    state: Path = typer.Option(None, help="with --follow: the monitor's state file (created if absent)"),
    as_json: bool = typer.Option(False, "--json", help="with --follow: one JSON object per line"),
    interval: float = typer.Option(10.0, min=0.0, help="with --follow: seconds between polls"),
    max_polls: int = typer.Option(None, min=1, help="with --follow: stop after this many polls"),
    evidence: Path = typer.Option(None, help="with --follow: where to write the evidence of an inconsistency"),
) -> None:
    """Replay the ledger, check every entry, signed head and consistency proof; report counts.

    Exit codes: 0 consistent; 1 inconsistent (the first bad entry is named); 2 unusable input (no
    such database or ledger, service unreachable, bad key): one line on stderr says what to do.

    With --follow: monitor one or more copies of the ledger for growth and split views."""
    if follow:
        from .cli_monitor import follow as follow_ledger

        if db is not None:
            raise typer.BadParameter("--follow reads running services (--url), not a database")
        key = _public_key(public_key, key_file) if (public_key or key_file) else None
        return follow_ledger(url or [], checkpoint, state, key, as_json, interval, max_polls, evidence)
    if url is not None and len(url) > 1:
        raise typer.BadParameter("give one --url (several only with --follow)")
    url = url[0] if url else None
    from .ledger.audit import DatabaseSource, audit

    if (db is None) == (url is None):
        fail("give exactly one of --db (a database URL) and --url (a running service)")
    if url is not None:
        from .client import ApiAuditSource, ApiError

        try:
            source = ApiAuditSource(url)
            key = _public_key(public_key, key_file) if (public_key or key_file) else source.public_key()
        except ApiError as err:
            fail(f"{url} answered {err.status} {err.code}: is it a zkelig service? (--url)")
        except Exception as err:  # noqa: BLE001 - only connection failures become a line; others are bugs
            fail(connection_problem(url, err) or _reraise(err))
    else:
        from .ledger import NoLedger, StoreUnavailable, open_store, redacted

        key = _public_key(public_key, key_file)
        try:
            source = DatabaseSource(open_store(db, create=False))
        except ValueError as err:
            fail(f"{err}: fix --db")
        except NoLedger as err:
            fail(f"{err}: check --db (nothing was created)")
        except StoreUnavailable as err:
            fail(f"cannot open {redacted(db)}: {err}; check that the database is running and the URL is right")
    from rich.console import Console  # here, not at the top: every other command starts without rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    console = Console(stderr=True)
    columns = (TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("audit", total=None)
            report = audit(source, key, tree_depth,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    except Exception as err:  # noqa: BLE001 - only connection failures become a line; others are bugs
        from .ledger import StoreUnavailable

        if isinstance(err, StoreUnavailable):
            fail(f"the database failed during the audit ({err}); retry when it is available")
        fail(connection_problem(url or "", err) or _reraise(err))
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
