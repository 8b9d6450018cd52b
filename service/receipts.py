"""Checking a verification receipt offline, with nothing but the ledger's public key.

A receipt is `{"body", "signature", "key"}` signed by the ledger key (Ed25519 over the body's canonical
JSON); an accepted one also carries `inclusion`: its ledger entry, the entry's RFC 6962 inclusion proof and
a signed head. `check_receipt` verifies, in order: the signature; for an accepted receipt, the head's
signature, the inclusion of the entry under the head, and that the entry is this receipt's nullifier
entry (same scope, nullifier, verifier, log index, and the sha256 of the body as it was when recorded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from circuits import credentials as cr
from zkcore.errors import InvalidEncoding, InvalidProof

from .ledger import Receipt as LedgerReceipt
from .ledger.entries import NullifierUsed
from .verification import _canonical, verify_receipt_signature

# Fields the service adds to a body after recording its digest on the ledger (verification.decide).
_ADDED_AFTER_DIGEST = ("decision", "reason", "body_digest", "log_index", "checkpoint")


@dataclass(frozen=True)
class CheckedReceipt:
    decision: str
    reason: str
    verifier: str
    scope: str
    question: dict | None
    log_index: int | None  # accepted only
    head_size: int | None  # the signed head the inclusion was checked under


def _field(body: dict, name: str, kind: type):
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidEncoding(f"the receipt's body has no valid {name}")
    return value


def check_receipt(receipt: object, public_key: bytes) -> CheckedReceipt:
    """The receipt's outcome once everything in it checks out; InvalidProof or InvalidEncoding otherwise."""
    if not isinstance(receipt, dict) or not isinstance(receipt.get("body"), dict) \
            or not isinstance(receipt.get("signature"), str):
        raise InvalidEncoding("not a receipt: expected body and signature")
    try:
        verify_receipt_signature(receipt, public_key)
    except (binascii.Error, ValueError):
        raise InvalidEncoding("the receipt's signature is not base64") from None
    body = receipt["body"]
    decision, reason = _field(body, "decision", str), _field(body, "reason", str)
    verifier, scope = _field(body, "verifier", str), _field(body, "scope", str)
    question = body.get("question") if isinstance(body.get("question"), dict) else None
    if decision != "accepted":
        return CheckedReceipt(decision, reason, verifier, scope, question, None, None)
    if not isinstance(receipt.get("inclusion"), dict):
        raise InvalidEncoding("an accepted receipt carries its inclusion proof (inclusion)")
    included = LedgerReceipt.from_json(receipt["inclusion"])
    entry = included.verify(public_key)
    recorded = {k: v for k, v in body.items() if k not in _ADDED_AFTER_DIGEST}
    digest = hashlib.sha256(_canonical(recorded)).digest()
    nullifier = _field(body, "nullifier", str)
    if not nullifier.isdigit() or len(nullifier) > 78:
        raise InvalidEncoding("the receipt's nullifier is not a decimal number")
    expected = NullifierUsed(cr.scope_id(scope), int(nullifier), verifier, digest)
    if included.index != _field(body, "log_index", int) or entry != expected or body.get("body_digest") != digest.hex():
        raise InvalidProof("the ledger entry is not this receipt's")
    return CheckedReceipt(decision, reason, verifier, scope, question, included.index, included.head.size)


def public_key_from_base64(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEncoding("the ledger public key is not base64") from None
    if len(key) != 32:
        raise InvalidEncoding("an Ed25519 public key is 32 bytes")
    return key
