"""/v1/holders: wallets for thin clients (a phone, or a wallet provider), encrypted at rest, and
proving on the holder's behalf. Every endpoint here is rate limited per client address."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request

from circuits import credentials as cr
from circuits.requests import ProofRequest, prove_request
from zkcore.errors import Unsatisfied

from .. import wallet
from ..problems import Problem
from ..schemas import WalletCreate, WalletCreated, WalletCredential, WalletCredentialStored, WalletProve, WalletUnlock
from .common import get_state, problem_responses


async def rate_limited(request: Request, state=Depends(get_state)) -> None:
    client = request.client.host if request.client else "unknown"
    if not state.holder_limits.allow(client):
        raise Problem(429, "rate_limited", "too many requests from this client; slow down")


router = APIRouter(prefix="/v1/holders", tags=["holders"], dependencies=[Depends(rate_limited)],
                   responses=problem_responses(400, 404, 409, 413, 422, 429))


def _open(state, wallet_id: str, passphrase: str) -> dict:
    try:
        return wallet.open_sealed(wallet_id, passphrase, state.records.wallet(wallet_id))
    except wallet.WalletLocked:
        raise Problem(404, "wallet_locked", "no such wallet, or the passphrase is wrong") from None


@router.post("/wallets", response_model=WalletCreated, status_code=201)
def create_wallet(body: WalletCreate, state=Depends(get_state)) -> WalletCreated:
    """A new wallet with a fresh holder secret; give the returned id_commitment to issuers."""
    wallet_id, content = wallet.new_wallet()
    state.records.save_wallet(wallet_id, wallet.seal(wallet_id, body.passphrase, content), create=True)
    return WalletCreated(wallet_id=wallet_id, id_commitment=str(cr.id_commitment(int(content["secret"]))))


@router.post("/wallets/{wallet_id}/open")
def open_wallet(wallet_id: str, body: WalletUnlock, state=Depends(get_state)) -> dict:
    """The holder's own view: identity commitment and credentials (never the secret)."""
    content = _open(state, wallet_id, body.passphrase)
    return {"id_commitment": str(cr.id_commitment(int(content["secret"]))), "credentials": content["credentials"]}


@router.post("/wallets/{wallet_id}/credentials", response_model=WalletCredentialStored, status_code=201)
def add_credential(wallet_id: str, body: WalletCredential, state=Depends(get_state)) -> WalletCredentialStored:
    content = _open(state, wallet_id, body.passphrase)
    credential = cr.Credential.from_json(body.credential)
    if credential.id_commitment != cr.id_commitment(int(content["secret"])):
        raise Problem(409, "not_this_holder", "the credential was issued to another identity commitment")
    credential_id = secrets.token_urlsafe(8)
    content["credentials"][credential_id] = credential.to_json()
    state.records.save_wallet(wallet_id, wallet.seal(wallet_id, body.passphrase, content), create=False)
    return WalletCredentialStored(credential_id=credential_id)


@router.post("/wallets/{wallet_id}/presentations")
def prove(wallet_id: str, body: WalletProve, state=Depends(get_state)) -> dict:
    """Prove, from a stored credential, that it answers a verifier's request; returns the presentation."""
    content = _open(state, wallet_id, body.passphrase)
    stored = content["credentials"].get(body.credential_id)
    if stored is None:
        raise Problem(404, "not_found", "no such credential in this wallet")
    found = state.records.load_request(body.request_id)
    if found is None:
        raise Problem(404, "not_found", "no such proof request")
    credential = cr.Credential.from_json(stored)
    if credential.issuer not in state.ledger.issuers or credential.leaf_index is None:
        raise Problem(409, "unknown_issuer", "the credential's issuer is not on this ledger")
    try:
        path = state.ledger.path(credential.issuer, credential.leaf_index)
        presentation = prove_request(credential, int(content["secret"]), path, ProofRequest.from_json(found[1]),
                                     state.keys.pk)
    except Unsatisfied as err:
        raise Problem(422, "unsatisfiable", str(err)) from None
    except IndexError:
        raise Problem(404, "not_found", "the credential's leaf is not in its issuer's tree") from None
    return {"presentation": presentation.to_json()}
