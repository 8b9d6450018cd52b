"""/v1/holders: wallets for thin clients (a phone, or a wallet provider), encrypted at rest, and
proving on the holder's behalf. Every endpoint here is rate limited per client address; opening a
wallet is also limited per wallet, in the database (all workers): after a few failed passphrases
each further attempt waits twice as long. Server-side proving answers only an open request, once
per (wallet, request), through a bounded queue per worker, in the worker's low-priority prover
child, so that verifications do not wait behind proofs."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request

from circuits import credentials as cr
from zkcore.errors import Unsatisfied

from .. import wallet
from ..deps import FreshState, State
from ..limits import Busy, retry_later
from ..problems import Problem
from ..prover import ProverUnavailable
from ..records import WalletBackingOff
from ..schemas import WalletCreate, WalletCreated, WalletCredential, WalletCredentialStored, WalletProve, WalletUnlock
from .common import problem_responses


async def rate_limited(request: Request, state: State) -> None:
    # request.client is the TCP peer unless uvicorn was told to trust this peer's X-Forwarded-For
    client = request.client.host if request.client else "unknown"
    wait_s = state.holder_limits.wait_s(client)
    if wait_s:
        raise retry_later(429, "too many requests from this client; slow down", wait_s)


router = APIRouter(prefix="/v1/holders", tags=["holders"], dependencies=[Depends(rate_limited)],
                   responses=problem_responses(400, 404, 409, 413, 422, 429))


def _open(state, wallet_id: str, passphrase: str) -> dict:
    settings = state.settings
    try:
        blob = state.records.begin_wallet_open(wallet_id, settings.wallet_free_failures, settings.wallet_max_backoff_s)
    except WalletBackingOff as err:
        raise retry_later(429, "too many wrong passphrases for this wallet; wait before trying again",
                          err.retry_after_s) from None
    try:
        content = wallet.open_sealed(wallet_id, passphrase, blob)
    except wallet.WalletLocked:
        raise Problem(404, "wallet_locked", "no such wallet, or the passphrase is wrong") from None
    state.records.wallet_opened(wallet_id)
    return content


@router.post("/wallets", response_model=WalletCreated, status_code=201)
def create_wallet(body: WalletCreate, state: State) -> WalletCreated:
    """A new wallet with a fresh holder secret; give the returned id_commitment to issuers."""
    wallet_id, content = wallet.new_wallet()
    state.records.save_wallet(wallet_id, wallet.seal(wallet_id, body.passphrase, content), create=True)
    return WalletCreated(wallet_id=wallet_id, id_commitment=str(cr.id_commitment(int(content["secret"]))))


@router.post("/wallets/{wallet_id}/open")
def open_wallet(wallet_id: str, body: WalletUnlock, state: State) -> dict:
    """The holder's own view: identity commitment and credentials (never the secret)."""
    content = _open(state, wallet_id, body.passphrase)
    return {"id_commitment": str(cr.id_commitment(int(content["secret"]))), "credentials": content["credentials"]}


@router.post("/wallets/{wallet_id}/credentials", response_model=WalletCredentialStored, status_code=201)
def add_credential(wallet_id: str, body: WalletCredential, state: State) -> WalletCredentialStored:
    content = _open(state, wallet_id, body.passphrase)
    credential = cr.Credential.from_json(body.credential)
    if credential.id_commitment != cr.id_commitment(int(content["secret"])):
        raise Problem(409, "not_this_holder", "the credential was issued to another identity commitment")
    credential_id = secrets.token_urlsafe(8)
    content["credentials"][credential_id] = credential.to_json()
    state.records.save_wallet(wallet_id, wallet.seal(wallet_id, body.passphrase, content), create=False)
    return WalletCredentialStored(credential_id=credential_id)


@router.post("/wallets/{wallet_id}/presentations", responses=problem_responses(503))
def prove(wallet_id: str, body: WalletProve, state: FreshState) -> dict:
    """Prove, from a stored credential, that it answers a verifier's open request (once per wallet
    and request); returns the presentation. 503 with Retry-After when this worker's proving queue
    is full or its prover (a low-priority child process: service.prover) does not answer in time."""
    try:
        with state.proving.admitted():
            return _prove(wallet_id, body, state)
    except Busy as err:
        raise retry_later(503, "the service is busy proving; try again later", err.retry_after_s) from None


def _prove(wallet_id: str, body: WalletProve, state) -> dict:
    content = _open(state, wallet_id, body.passphrase)
    stored = content["credentials"].get(body.credential_id)
    if stored is None:
        raise Problem(404, "not_found", "no such credential in this wallet")
    found = state.records.load_request(body.request_id)
    if found is None:
        raise Problem(404, "not_found", "no such proof request")
    _, request_json, created_ms, answered = found
    if state.settings.clock() * 1000 > created_ms + state.settings.request_ttl_s * 1000:
        raise Problem(409, "request_expired", "this proof request has expired; ask the verifier for a new one")
    if answered:
        raise Problem(409, "request_answered", "this proof request was already answered")
    credential = cr.Credential.from_json(stored)
    if not state.ledger.has_issuer(credential.issuer) or credential.leaf_index is None:
        raise Problem(409, "unknown_issuer", "the credential's issuer is not on this ledger")
    try:
        path = state.ledger.path(credential.issuer, credential.leaf_index)
    except IndexError:
        raise Problem(404, "not_found", "the credential's leaf is not in its issuer's tree") from None
    if not state.records.record_wallet_proof(wallet_id, body.request_id):
        raise Problem(409, "already_proven", "this wallet already proved this request; ask for a new request")
    try:
        with state.proving.running():
            presentation = state.prover.prove(stored, int(content["secret"]), path, request_json)
    except Unsatisfied as err:
        raise Problem(422, "unsatisfiable", str(err)) from None
    except ProverUnavailable:
        state.records.forget_wallet_proof(wallet_id, body.request_id)  # the holder may try this request again
        raise retry_later(503, "the prover is busy or restarting; try again later",
                          state.settings.prove_timeout_s / 4) from None
    return {"presentation": presentation}
