"""/v1/ledger: what auditors and the public read. Signed heads, entries, proofs, issuer roots,
nullifier status; statistics for auditor keys."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse

from circuits import credentials as cr

from ..auth import require
from ..deps import FreshState, State
from ..problems import Problem
from ..schemas import Id, MembershipPath
from .common import problem_responses

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], responses=problem_responses(400, 404, 422))
MAX_ENTRIES = 1000
MAX_INDEX = 2**48  # log indices and sizes fit 48 bits (and every database integer)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _head(state):
    try:
        return state.ledger.head()
    except LookupError:
        raise Problem(404, "not_found", "the ledger is empty") from None


def _size(state, size: int) -> int:
    head = _head(state)
    if not 1 <= size <= head.size:
        raise Problem(400, "bad_request", f"size must be in 1..{head.size}")
    return size


@router.get("/key")
def ledger_key(state: State) -> dict:
    """The ledger's Ed25519 public key: what heads and receipts are checked with."""
    key = state.ledger.key
    return {"public_key": _b64(key.public_key), "key_name": key.name, "origin": state.ledger.origin}


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(state: FreshState) -> str:
    """The latest signed tree head, as a checkpoint (signed note)."""
    return _head(state).to_text()


@router.get("/head")
def head(state: FreshState) -> dict:
    h = _head(state)
    return {"size": h.size, "root": _b64(h.root), "timestamp_ms": h.timestamp_ms, "checkpoint": h.to_text()}


@router.get("/heads")
def heads(after: int = Query(-1, ge=-1, le=MAX_INDEX), limit: int = Query(1000, ge=1, le=10_000),
          *, state: FreshState) -> dict:
    """Signed heads with size > after, in increasing size."""
    return {"checkpoints": [h.to_text() for h in state.ledger.heads(after)[:limit]]}


@router.get("/entries")
def entries(start: int = Query(ge=0, le=MAX_INDEX), end: int = Query(ge=0, le=MAX_INDEX),
            *, state: FreshState) -> dict:
    """Entries [start, end), at most 1000, base64 of their canonical encoding."""
    if end < start or end - start > MAX_ENTRIES:
        raise Problem(400, "bad_request", f"need start ≤ end ≤ start + {MAX_ENTRIES}")
    return {"start": start, "entries": [_b64(d) for d in state.ledger.entries(start, end)]}


@router.get("/proofs/inclusion")
def inclusion(index: int = Query(ge=0, le=MAX_INDEX), size: int = Query(ge=1, le=MAX_INDEX),
              *, state: FreshState) -> dict:
    size = _size(state, size)
    if index >= size:
        raise Problem(400, "bad_request", "index must be below size")
    return {"index": index, "size": size, "proof": [_b64(p) for p in state.ledger.inclusion_proof(index, size)]}


@router.get("/proofs/consistency")
def consistency(first: int = Query(ge=1, le=MAX_INDEX), second: int = Query(ge=1, le=MAX_INDEX),
                *, state: FreshState) -> dict:
    second = _size(state, second)
    if first > second:
        raise Problem(400, "bad_request", "first must not exceed second")
    return {"first": first, "second": second, "proof": [_b64(p) for p in state.ledger.consistency_proof(first, second)]}


@router.get("/receipts/{index}")
def receipt(index: int = Path(ge=0, le=MAX_INDEX), *, state: FreshState) -> dict:
    """Entry `index` with its inclusion proof under the latest signed head: checkable offline."""
    if not 0 <= index < _head(state).size:
        raise Problem(404, "not_found", "no such entry")
    return state.ledger.receipt(index).to_json()


@router.get("/issuers/{issuer}/roots")
def roots(issuer: Id, state: FreshState) -> dict:
    """The issuer's current root and every root a proof may use now."""
    if not state.ledger.has_issuer(issuer):
        raise Problem(404, "unknown_issuer", f"issuer {issuer} is not registered")
    return {"issuer": issuer, "current": str(state.ledger.issuer_root(issuer)),
            "accepted": sorted(str(r) for r in state.ledger.accepted_roots(issuer))}


@router.get("/issuers/{issuer}/frontier")
def frontier(issuer: Id, state: State) -> dict:
    """The issuer tree's frontier (its next leaf index and root, and what appending needs), its key and
    rotation count, and the ledger's origin: what an issuer signs a new issuance against."""
    state.ledger.refresh()
    if not state.ledger.has_issuer(issuer):
        raise Problem(404, "unknown_issuer", f"issuer {issuer} is not registered")
    f = state.ledger.frontier(issuer)
    public_key, rotation = state.ledger.issuer_key(issuer)
    return {"issuer": issuer, "origin": state.ledger.origin, "size": f.size, "root": str(f.root),
            "frontier": _b64(f.to_bytes()), "public_key": _b64(public_key), "rotation": rotation}


@router.get("/issuers/{issuer}/paths/{leaf_index}", response_model=MembershipPath, tags=["holders"])
def path(issuer: Id, leaf_index: int = Path(ge=0, lt=2**32), *, state: FreshState) -> MembershipPath:
    """A credential's current membership path (leaves are public; the path reveals no attribute)."""
    if not state.ledger.has_issuer(issuer):
        raise Problem(404, "unknown_issuer", f"issuer {issuer} is not registered")
    try:
        p = state.ledger.path(issuer, leaf_index)
    except IndexError:
        raise Problem(404, "not_found", "no such leaf") from None
    return MembershipPath(issuer=issuer, leaf_index=leaf_index, siblings=[str(s) for s in p.siblings],
                          root=str(state.ledger.issuer_root(issuer)))


@router.get("/nullifiers")
def nullifier(scope: str = Query(min_length=1, max_length=200),
              value: str = Query(pattern=r"^[0-9]{1,78}$", description="the nullifier, decimal"),
              *, state: FreshState) -> dict:
    """Whether a nullifier was used in a scope (and where)."""
    index = state.ledger.nullifier_index(cr.scope_id(scope), int(value) % cr.R)
    return {"scope": scope, "used": index is not None, "log_index": index}


@router.get("/statistics", dependencies=[Depends(require("auditor"))], responses=problem_responses(401, 403))
def statistics(state: FreshState) -> dict:
    """Entry counts by kind, credentials per issuer, nullifiers per scope."""
    return state.ledger.statistics()
