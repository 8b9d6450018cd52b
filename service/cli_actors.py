"""`zkelig admin|issuer|verifier …`: thin command-line helpers over the client SDK.

The service URL and API key come from --url/--api-key or ZKELIG_URL/ZKELIG_API_KEY. Output is
JSON on stdout. Exit codes: 0 done; 1 a presentation the verifier's receipt refuses (`verifier
submit`); 2 anything else that failed (the service refused the call, or could not be reached): one
line on stderr says what happened and what to do.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import typer

from circuits.requests import PRESETS

# The groups' own help is in service/cli.py, which lists them without loading this module.
admin_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
issuer_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
verifier_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

URL = typer.Option("http://127.0.0.1:8000", envvar="ZKELIG_URL", help="service base URL")
API_KEY = typer.Option(..., envvar="ZKELIG_API_KEY", help="API key for this role")
KEY_FILE = typer.Option(
    ...,
    "--key-file",
    envvar="ZKELIG_ISSUER_KEY_FILE",
    help="the issuer's Ed25519 signing key (PEM), made by `zkelig issuer keygen`",
)


def _issuer_key(path: Path):
    from zkcore.errors import InvalidEncoding

    from .cli_errors import fail
    from .ledger.statements import IssuerKey

    try:
        return IssuerKey.load(path)
    except OSError as err:
        fail(f"cannot read the key file {path} ({err.strerror}): give the file `zkelig issuer keygen` wrote")
    except InvalidEncoding as err:
        fail(f"{err}: give the file `zkelig issuer keygen` wrote")


_WHAT_TO_DO = {
    401: "give a valid API key (--api-key or ZKELIG_API_KEY)",
    403: "use a key of the right role, acting for this issuer or verifier",
    503: "the service's database is unavailable; retry shortly",
}


@contextmanager
def _client(url: str, api_key: str, issuer_key=None):
    from .cli_errors import connection_problem, fail
    from .client import ApiError, ZkeligClient

    try:
        client = ZkeligClient(url, api_key, issuer_key=issuer_key)
    except Exception as err:  # noqa: BLE001 - httpx refuses a malformed base URL here
        fail(connection_problem(url, err) or f"{url!r} is not a service URL")
    try:
        yield client
    except ApiError as err:
        advice = _WHAT_TO_DO.get(err.status)
        fail(f"{err.code}: {err.detail}" + (f" ({advice})" if advice else ""))
    except Exception as err:  # noqa: BLE001 - only connection failures are turned into a line
        message = connection_problem(url, err)
        if message is None:
            raise
        fail(message)
    finally:
        client.close()


def _print(obj) -> None:
    typer.echo(json.dumps(obj, indent=1, default=str))


keys_app = typer.Typer(no_args_is_help=True, help="List and revoke API keys.")
scope_app = typer.Typer(no_args_is_help=True, help="Shared scopes: where several named verifiers may ask.")
admin_app.add_typer(keys_app, name="keys")
admin_app.add_typer(scope_app, name="scope")


@keys_app.command("list")
def keys_list(url: str = URL, api_key: str = API_KEY) -> None:
    """Every API key: id, role, subject, created (never the key itself)."""
    with _client(url, api_key) as c:
        _print(c.list_keys())


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="the id shown by `zkelig admin keys list`"),
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Revoke an API key; it fails on the next request."""
    with _client(url, api_key) as c:
        c.revoke_key(key_id)
        _print({"revoked": key_id})


@scope_app.command("register")
def scope_register(
    name: str = typer.Argument(..., help="e.g. insurance-enrolment/2026"),
    members: list[str] = typer.Option(..., "--member", help="a verifier that may ask in it (repeat)"),
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Register a shared scope (or replace its members)."""
    with _client(url, api_key) as c:
        _print(c.register_scope(name, members))


@scope_app.command("list")
def scope_list(url: str = URL) -> None:
    """Shared scopes and their members (public)."""
    with _client(url, "") as c:
        _print(c.scopes())


@admin_app.command("key")
def admin_key(
    role: str = typer.Argument(..., help="issuer, verifier or auditor (the only admin is ZKELIG_ADMIN_KEY)"),
    subject: str = typer.Argument("", help="the issuer or verifier the key acts for"),
    key_only: bool = typer.Option(False, "--key-only", help="print only the key, for a shell variable"),
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Create an API key (printed once; only its hash is stored). Exit codes: 0 done, 2 failed."""
    with _client(url, api_key) as c:
        made = c.create_key(role, subject)
    if key_only:
        typer.echo(made)
    else:
        _print({"role": role, "subject": subject, "api_key": made})


@admin_app.command("register-issuer")
def register_issuer(
    name: str,
    public_key: str = typer.Argument(..., help="Ed25519 public key, base64"),
    key_only: bool = typer.Option(False, "--key-only", help="print only the issuer's API key"),
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Register an issuer on the ledger; prints its API key. Exit codes: 0 done, 2 failed."""
    from .cli_errors import fail

    try:
        raw = base64.b64decode(public_key, validate=True)
    except ValueError:
        fail("the public key is not base64: give the 32-byte Ed25519 public key that `zkelig issuer keygen` printed")
    with _client(url, api_key) as c:
        made = c.register_issuer(name, raw)
    if key_only:
        typer.echo(made["api_key"])
    else:
        _print(made)


@issuer_app.command("keygen")
def keygen(
    key_file: Path = typer.Argument(..., help="where to write the new key (PEM, mode 0600; never overwritten)"),
) -> None:
    """Make an issuer's Ed25519 signing key; prints the public key (base64) to register with the admin.
    Exit codes: 0 done, 2 failed."""
    from .cli_errors import fail
    from .ledger.statements import IssuerKey

    key = IssuerKey.generate()
    try:
        key.save(key_file)
    except FileExistsError:
        fail(f"{key_file} already exists: keep it, or give another path (keys are never overwritten)")
    except OSError as err:
        fail(f"cannot create {key_file} ({err.strerror}): give a writable path")
    typer.echo(base64.b64encode(key.public_key).decode())


@issuer_app.command("issue")
def issue(
    issuer: str,
    orders: Path = typer.Argument(..., help='JSON list of {"schema", "id_commitment", "attributes", "expiry"}'),
    key_file: Path = KEY_FILE,
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Issue credentials from a JSON file, signed here with the issuer's key; prints what each holder receives.
    Exit codes: 0 done, 2 failed."""
    from .cli_errors import fail

    try:
        parsed = json.loads(orders.read_text())
    except OSError as err:
        fail(f"cannot read {orders} ({err.strerror}): give the orders' JSON file")
    except ValueError:
        fail(f"{orders} is not JSON: give a list of credential orders")
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print(c.issue(issuer, parsed))


@issuer_app.command("revoke")
def revoke(issuer: str, leaf_index: int, key_file: Path = KEY_FILE, url: str = URL, api_key: str = API_KEY) -> None:
    """Revoke a credential by its leaf index, signed here with the issuer's key. Exit codes: 0 done, 2 failed."""
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print({"log_index": c.revoke(issuer, leaf_index)})


@issuer_app.command("rotate-key")
def rotate_key(
    issuer: str,
    new_key_file: Path = typer.Argument(..., help="the new key (from `zkelig issuer keygen`)"),
    key_file: Path = KEY_FILE,
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Replace the issuer's signing key; the current key (--key-file) signs the new one."""
    new_key = _issuer_key(new_key_file)
    with _client(url, api_key, _issuer_key(key_file)) as c:
        _print({"log_index": c.rotate_issuer_key(issuer, new_key)})


@verifier_app.command("request")
def request(
    verifier: str,
    scope: str,
    issuers: list[str] = typer.Option(..., "--issuer"),
    preset: str = typer.Option("age_at_least", help=f"one of {', '.join(PRESETS)}"),
    years: int = typer.Option(None),
    day: str = typer.Option(None, help="YYYY-MM-DD"),
    plan: list[int] = typer.Option(None, "--plan", help="a covered plan (repeat)"),
    claim_cents: int = typer.Option(None),
    url: str = URL,
    api_key: str = API_KEY,
) -> None:
    """Create a proof request from a preset; give its request_id to the holder. Exit codes: 0 done, 2 failed."""
    from .cli_errors import fail

    if preset not in PRESETS:
        fail(f"--preset {preset!r} is not a preset: give one of {', '.join(PRESETS)}")
    try:
        when = dt.date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--day {day!r} is not a date: give it as YYYY-MM-DD")
    params = {
        k: v
        for k, v in (("years", years), ("day", when), ("covered_plans", plan or None), ("claim_cents", claim_cents))
        if v is not None
    }
    with _client(url, api_key) as c:
        _print(c.create_request(verifier, scope, issuers, preset, **params))


@verifier_app.command("submit")
def submit(verifier: str, request_id: str, presentation: Path, url: str = URL, api_key: str = API_KEY) -> None:
    """Submit a holder's presentation (JSON file); prints the signed receipt.

    Exit codes: 0 accepted; 1 refused (the receipt, printed, says why); 2 failed (no receipt)."""
    from .cli_errors import fail

    try:
        body = json.loads(presentation.read_text())
    except OSError as err:
        fail(f"cannot read {presentation} ({err.strerror}): give the presentation's JSON file")
    except ValueError:
        fail(f"{presentation} is not JSON: give the presentation file the holder's wallet produced")
    with _client(url, api_key) as c:
        receipt = c.submit(verifier, request_id, body)
    _print(receipt)
    if receipt["body"]["decision"] != "accepted":
        typer.echo(f"refused: {receipt['body'].get('reason', 'no reason given')}", err=True)
        raise typer.Exit(1)
