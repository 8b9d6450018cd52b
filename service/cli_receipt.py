"""`zkelig receipt verify FILE`: check a verification receipt offline.

The ledger's public key comes from --public-key (base64), --key-file (a file holding it, or the JSON of
GET /v1/ledger/key) or, trusting the service on first use, --url. Exit codes: 0 the receipt checks out
(its outcome is printed), 1 it does not (forged, altered, or its inclusion proof fails), 2 the file or the
key cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

receipt_app = typer.Typer(no_args_is_help=True, help="Check verification receipts offline.")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _public_key(public_key: str | None, key_file: Path | None, url: str | None) -> bytes:
    from .receipts import public_key_from_base64

    if public_key:
        return public_key_from_base64(public_key.strip())
    if key_file:
        text = key_file.read_text().strip()
        if text.startswith("{"):
            text = json.loads(text).get("public_key", "")
        return public_key_from_base64(text)
    if url:
        import httpx

        try:
            announced = httpx.get(url.rstrip("/") + "/v1/ledger/key", timeout=30).json()
            return public_key_from_base64(announced["public_key"])
        except (httpx.HTTPError, ValueError, KeyError):
            _fail(f"could not read the ledger key from {url}; pass --public-key instead", 2)
    _fail("give the ledger's public key: --public-key, --key-file or --url", 2)
    raise AssertionError  # unreachable: _fail exits


@receipt_app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="the receipt as JSON (as the API returned it)"),
    public_key: str = typer.Option(None, "--public-key", envvar="ZKELIG_LEDGER_KEY", help="ledger key, base64"),
    key_file: Path = typer.Option(None, "--key-file", help="file with the ledger key (base64, or /v1/ledger/key JSON)"),
    url: str = typer.Option(None, "--url", help="fetch the ledger key from this service (trust on first use)"),
) -> None:
    """Check the receipt's signature and, if accepted, its inclusion proof and signed head."""
    from zkcore.errors import InvalidEncoding, InvalidProof

    from .receipts import check_receipt

    try:
        receipt = json.loads(file.read_text())
    except OSError as err:
        _fail(f"cannot read {file}: {err.strerror}", 2)
    except ValueError:
        _fail(f"{file} is not JSON: pass the receipt as the API returned it", 2)
    try:
        key = _public_key(public_key, key_file, url)
    except (OSError, ValueError, InvalidEncoding) as err:
        _fail(f"the ledger key cannot be read: {err}", 2)
    try:
        checked = check_receipt(receipt, key)
    except (InvalidProof, InvalidEncoding) as err:
        _fail(f"receipt NOT valid: {err}", 1)
    where = f", entry {checked.log_index} included under signed head of size {checked.head_size}" \
        if checked.log_index is not None else ""
    typer.echo(f"receipt valid: {checked.decision} ({checked.reason}) for {checked.verifier} in scope "
               f"{checked.scope}{where}")
