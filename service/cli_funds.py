"""`zkelig funds`: check a payer's signed period total against the ledger's claim commitments.

Exit codes: 0 the total checks, 1 it does not (the reason is printed), 2 unusable input.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

funds_app = typer.Typer(no_args_is_help=True, help="Reimbursed totals: check a payer's published period total.")


def _day(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{what} is a date, YYYY-MM-DD") from None


@funds_app.command("check")
def check(
    totals: Path = typer.Argument(..., help="the payer's signed period total (JSON)"),
    url: str = typer.Option(..., help="a running service's base URL"),
    insurer: str = typer.Option(..., help="the payer whose total this is"),
    start: str = typer.Option(..., "--from", help="first day of the period (UTC), YYYY-MM-DD"),
    end: str = typer.Option(..., "--to", help="last day of the period (UTC), YYYY-MM-DD"),
    public_key: str = typer.Option(None, help="the ledger's Ed25519 public key, hex or base64 "
                                   "(default: ask the service)"),
) -> None:
    """Check Σ C = A·G + R·H over the insurer's claim commitments in the period (see service/funds.py)."""
    import httpx

    from zkcore.errors import ZkError

    from .cli_audit import _public_key
    from .client import ApiAuditSource, ApiError
    from .funds import LedgerClaims

    period = (_day(start, "--from"), _day(end, "--to"))
    try:
        signed = json.loads(totals.read_text())
        body = signed["body"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise typer.BadParameter(f"{totals} is not a signed period total ({err})") from None
    if body.get("payer") != insurer or (body.get("from"), body.get("to")) != tuple(d.isoformat() for d in period):
        raise typer.BadParameter(f"{totals} is the total of {body.get('payer')} for {body.get('from')}.."
                                 f"{body.get('to')}, not of {insurer} for {period[0]}..{period[1]}")
    source = ApiAuditSource(url)
    try:
        key = _public_key(public_key, None) if public_key else source.public_key()
        claims = LedgerClaims.read(source, key)
        result = claims.check(signed)
    except ZkError as err:
        typer.echo(f"NOT CHECKED: {err}")
        raise typer.Exit(1) from None
    except ApiError as err:
        raise typer.BadParameter(f"the service refused: {err}") from None
    except httpx.HTTPError as err:
        raise typer.BadParameter(f"cannot reach {url} ({type(err).__name__}); is the service running?") from None
    amount = f"{body['amount_cents'] // 100:,}.{body['amount_cents'] % 100:02d}"
    if not result.ok:
        typer.echo(f"DOES NOT CHECK: {result.problem}")
        raise typer.Exit(1)
    typer.echo(f"checks: {result.claims_on_ledger} claims owed by {insurer} from {period[0]} to {period[1]} add up to "
               f"the published total of {amount}")
