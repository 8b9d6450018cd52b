"""`zkelig admin|issuer|verifier …`: thin command-line helpers over the client SDK.

The service URL and API key come from --url/--api-key or ZKELIG_URL/ZKELIG_API_KEY. Output is
JSON on stdout; an API error prints its problem code and detail on stderr and exits 1.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import typer

admin_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="API keys and issuer registration (admin key)."
)
issuer_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Issue and revoke credentials (issuer key)."
)
verifier_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Proof requests and presentations (verifier key)."
)

URL = typer.Option("http://127.0.0.1:8000", envvar="ZKELIG_URL", help="service base URL")
API_KEY = typer.Option(..., envvar="ZKELIG_API_KEY", help="API key for this role")


@contextmanager
def _client(url: str, api_key: str):
    from .client import ApiError, ZkeligClient

    client = ZkeligClient(url, api_key)
    try:
        yield client
    except ApiError as err:
        typer.echo(f"error: {err.code}: {err.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        client.close()


def _print(obj) -> None:
    typer.echo(json.dumps(obj, indent=1, default=str))


@admin_app.command("key")
def admin_key(role: str = typer.Argument(..., help="issuer, verifier, auditor or admin"),
              subject: str = typer.Argument("", help="the issuer or verifier the key acts for"),
              url: str = URL, api_key: str = API_KEY) -> None:
    """Create an API key."""
    with _client(url, api_key) as c:
        _print({"role": role, "subject": subject, "api_key": c.create_key(role, subject)})


@admin_app.command("register-issuer")
def register_issuer(name: str, public_key: str = typer.Argument(..., help="Ed25519 public key, base64"),
                    url: str = URL, api_key: str = API_KEY) -> None:
    """Register an issuer on the ledger; prints its API key."""
    with _client(url, api_key) as c:
        _print(c.register_issuer(name, base64.b64decode(public_key)))


@issuer_app.command("issue")
def issue(issuer: str, orders: Path = typer.Argument(..., help='JSON list of {"schema", "id_commitment", "attributes", "expiry"}'),
          url: str = URL, api_key: str = API_KEY) -> None:
    """Issue credentials from a JSON file; prints what each holder receives."""
    with _client(url, api_key) as c:
        _print(c.issue(issuer, json.loads(orders.read_text())))


@issuer_app.command("revoke")
def revoke(issuer: str, leaf_index: int, url: str = URL, api_key: str = API_KEY) -> None:
    with _client(url, api_key) as c:
        _print({"log_index": c.revoke(issuer, leaf_index)})


@verifier_app.command("request")
def request(verifier: str, scope: str, issuers: list[str] = typer.Option(..., "--issuer"),
            preset: str = typer.Option("age_at_least", help="age_at_least, insured_on or reimbursable"),
            years: int = typer.Option(None), day: str = typer.Option(None, help="YYYY-MM-DD"),
            plan: list[int] = typer.Option(None, "--plan", help="a covered plan (repeat)"),
            claim_cents: int = typer.Option(None), url: str = URL, api_key: str = API_KEY) -> None:
    """Create a proof request from a preset; give its request_id to the holder."""
    params = {k: v for k, v in (("years", years), ("day", dt.date.fromisoformat(day) if day else None),
                                ("covered_plans", plan or None), ("claim_cents", claim_cents)) if v is not None}
    with _client(url, api_key) as c:
        _print(c.create_request(verifier, scope, issuers, preset, **params))


@verifier_app.command("submit")
def submit(verifier: str, request_id: str, presentation: Path, url: str = URL, api_key: str = API_KEY) -> None:
    """Submit a holder's presentation (JSON file); prints the signed receipt."""
    with _client(url, api_key) as c:
        _print(c.submit(verifier, request_id, json.loads(presentation.read_text())))
