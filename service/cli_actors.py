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

admin_app = typer.Typer(no_args_is_help=True, help="API keys and issuer registration (admin key).")
issuer_app = typer.Typer(no_args_is_help=True, help="Issue and revoke credentials (issuer key).")
verifier_app = typer.Typer(no_args_is_help=True, help="Proof requests and presentations (verifier key).")

URL = typer.Option("http://127.0.0.1:8000", envvar="ZKELIG_URL", help="service base URL")
API_KEY = typer.Option(..., envvar="ZKELIG_API_KEY", help="API key for this role")
KEY_FILE = typer.Option(..., "--key-file", envvar="ZKELIG_ISSUER_KEY_FILE",
                        help="the issuer's Ed25519 signing key (PEM), made by `zkelig issuer keygen`")


def _issuer_key(path: Path):
    from zkcore.errors import InvalidEncoding

    from .ledger.statements import IssuerKey

    try:
        return IssuerKey.load(path)
    except OSError as err:
        raise typer.BadParameter(f"cannot read the key file {path}: {err.strerror}") from None
    except InvalidEncoding as err:
        raise typer.BadParameter(str(err)) from None


@contextmanager
def _client(url: str, api_key: str, issuer_key=None):
    from .client import ApiError, ZkeligClient

    client = ZkeligClient(url, api_key, issuer_key=issuer_key)
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


@issuer_app.command("keygen")
def keygen(key_file: Path = typer.Argument(..., help="where to write the new key (PEM, mode 0600; never overwritten)")) -> None:
    """Make an issuer's Ed25519 signing key; prints the public key (base64) to register with the admin."""
    from .ledger.statements import IssuerKey

    key = IssuerKey.generate()
    try:
        key.save(key_file)
    except FileExistsError:
        raise typer.BadParameter(f"{key_file} exists; choose another file (keys are never overwritten)") from None
    except OSError as err:
        raise typer.BadParameter(f"cannot write {key_file}: {err.strerror}") from None
    typer.echo(base64.b64encode(key.public_key).decode())


@issuer_app.command("issue")
def issue(issuer: str, orders: Path = typer.Argument(..., help='JSON list of {"schema", "id_commitment", "attributes", "expiry"}'),
          key_file: Path = KEY_FILE, url: str = URL, api_key: str = API_KEY) -> None:
    """Issue credentials from a JSON file, signed here with the issuer's key; prints what each holder receives."""
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print(c.issue(issuer, json.loads(orders.read_text())))


@issuer_app.command("revoke")
def revoke(issuer: str, leaf_index: int, key_file: Path = KEY_FILE, url: str = URL, api_key: str = API_KEY) -> None:
    """Revoke a credential by its leaf index, signed here with the issuer's key."""
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print({"log_index": c.revoke(issuer, leaf_index)})


@issuer_app.command("rotate-key")
def rotate_key(issuer: str, new_key_file: Path = typer.Argument(..., help="the new key (from `zkelig issuer keygen`)"),
               key_file: Path = KEY_FILE, url: str = URL, api_key: str = API_KEY) -> None:
    """Replace the issuer's signing key; the current key (--key-file) signs the new one."""
    new_key = _issuer_key(new_key_file)
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print({"log_index": c.rotate_issuer_key(issuer, new_key)})


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
