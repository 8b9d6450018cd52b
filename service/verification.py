"""Verifying presentations: batched Groth16 checks, the single-use nullifier, signed receipts.

`BatchVerifier` runs one thread that takes every proof waiting in its queue and checks them with
one `batch_verify` (N + 3 Miller loops, one final exponentiation); if a batch fails, each proof in
it is checked alone so that one bad proof never refuses a good one.

`decide` is the verifier's whole decision for one presentation, in this order: the presentation
answers exactly this request (issuer accepted, root currently accepted for that issuer, public
inputs equal to the request's) → the proof verifies → the nullifier is recorded for the scope in
the same transaction as its log entry. Whatever the outcome, the verifier gets a receipt signed
with the ledger key; it names the decision and a reason code, never a personal attribute.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import queue
import threading
import time
from concurrent.futures import Future

from circuits import credentials as cr
from circuits.requests import Presentation, ProofRequest, check_presentation
from zkcore.groth16 import Proof, batch_verify, prepare_verifying_key, verify
from zkcore.groth16.keys import VerifyingKey

from .batching import next_batch
from .funds import Opening, claim_cents
from .ledger import ClaimRefused, Ledger, NullifierReused
from .ledger.checkpoint import verify_signature
from .ledger.entries import SCOPE_PATTERN
from .stats import record_refusal


class BatchVerifier:
    def __init__(self, vk: VerifyingKey, max_batch: int = 64):
        self.pvk = prepare_verifying_key(vk)
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[Proof, list[int], Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="zkelig-batch-verifier", daemon=True)
        self._thread.start()

    def submit(self, proof: Proof, inputs: list[int]) -> Future:
        """A future for whether the proof verifies; it joins whatever batch is waiting."""
        future: Future = Future()
        self._queue.put((proof, inputs, future))
        return future

    def verify(self, proof: Proof, inputs: list[int]) -> bool:
        return self.submit(proof, inputs).result()

    def _run(self) -> None:
        while True:
            batch = next_batch(self._queue, self.max_batch)
            if batch is None:
                return
            try:
                if len(batch) > 1 and batch_verify(self.pvk, [(p, x) for p, x, _ in batch]):
                    outcomes = [True] * len(batch)
                else:
                    outcomes = [verify(self.pvk, p, x) for p, x, _ in batch]
            except Exception as err:  # noqa: BLE001 - handed to the waiting requests, not swallowed
                for _, _, future in batch:
                    future.set_exception(err)
                continue
            for (_, _, future), ok in zip(batch, outcomes):
                future.set_result(ok)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


def _canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sign_receipt(ledger: Ledger, body: dict) -> dict:
    return {
        "body": body,
        "signature": base64.b64encode(ledger.key.sign(_canonical(body))).decode(),
        "key": ledger.key.name,
    }


def verify_receipt_signature(receipt: dict, public_key: bytes) -> None:
    """Raise InvalidProof unless the ledger key signed this verification receipt."""
    verify_signature(public_key, base64.b64decode(receipt["signature"]), _canonical(receipt["body"]))


def receipt_body(request_id: str, verifier_id: str, request: ProofRequest, presentation: Presentation) -> dict:
    """What every receipt states, whatever the decision."""
    return {
        "request_id": request_id,
        "verifier": verifier_id,
        "scope": request.scope,
        "issuer": presentation.issuer,
        "decided_at_ms": int(time.time() * 1000),
    }


def refuse(ledger: Ledger, body: dict, reason: str) -> dict:
    record_refusal(ledger.store, body["verifier"], reason)
    return sign_receipt(ledger, {**body, "decision": "refused", "reason": reason})


async def decide(
    ledger: Ledger,
    verifier: BatchVerifier,
    body: dict,
    request: ProofRequest,
    presentation: Presentation,
    proof: Proof,
    claim=None,
) -> dict:
    """The signed receipt for one presentation (whose proof was parsed and validated) answering `request`;
    `body` is its receipt_body.

    A coroutine: it waits for the batch verifier and the ledger writer without holding a thread."""
    ledger.refresh()  # another replica may have revoked since we last looked
    roots = (
        {presentation.issuer: ledger.accepted_roots(presentation.issuer)}
        if ledger.has_issuer(presentation.issuer)
        else {}
    )
    checked = check_presentation(request, presentation, roots, proof)
    if checked is None:
        root_ok = presentation.root in roots.get(presentation.issuer, ())
        return refuse(ledger, body, "request_mismatch" if root_ok else "root_not_accepted")
    _, inputs = checked
    if not await asyncio.wrap_future(verifier.submit(proof, inputs)):
        return refuse(ledger, body, "invalid_proof")
    nullifier = inputs[0]
    body = {**body, "nullifier": str(nullifier)}
    digest = hashlib.sha256(_canonical(body)).digest()
    # A scope's name goes on the ledger with its first use (names outside SCOPE_PATTERN stay hashes);
    # a claim's amount goes there only as a commitment, its opening only to this verifier.
    scope_name = request.scope if SCOPE_PATTERN.fullmatch(request.scope) else None
    cents = claim_cents(request)
    opening = Opening.new(presentation.issuer, cents) if cents is not None else None
    payment = (opening.payer, opening.commitment) if opening else None
    try:
        index = await asyncio.wrap_future(
            ledger.use_nullifier_async(
                cr.scope_id(request.scope), nullifier, body["verifier"], digest, claim, scope_name, payment
            )
        )
    except NullifierReused:
        return refuse(ledger, body, "nullifier_reused")
    except ClaimRefused:
        return refuse(ledger, body, "request_already_answered")
    head = ledger.head()
    funds = {"funds": opening.to_json()} if opening else {}
    return sign_receipt(
        ledger,
        {
            **body,
            "decision": "accepted",
            "reason": "ok",
            "body_digest": digest.hex(),
            "log_index": index,
            "checkpoint": head.to_text(),
            **funds,
        },
    )
