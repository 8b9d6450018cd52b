"""/v1/admin: API keys for issuers, verifiers and auditors (create, list, revoke), and shared scopes.

The admin is ZKELIG_ADMIN_KEY alone: this API mints no admin keys."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from ..auth import require
from ..deps import FreshState, State
from ..problems import Problem
from ..schemas import ApiKeyCreated, ApiKeyList, ApiKeyRequest, SharedScope, SharedScopeInfo
from .common import problem_responses

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require("admin"))],
    responses=problem_responses(401, 403, 413, 422),
)


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, responses=problem_responses(404, 409))
def create_key(body: ApiKeyRequest, state: FreshState) -> ApiKeyCreated:
    """A new API key; issuer and verifier keys act only for their subject."""
    if body.role in ("issuer", "verifier") and not body.subject:
        raise Problem(422, "invalid_request", f"a {body.role} key needs a subject")
    if body.role == "issuer" and not state.ledger.has_issuer(body.subject):
        raise Problem(404, "unknown_issuer", f"issuer {body.subject} is not registered")
    if body.role == "verifier" and any(name.split("/", 1)[0] == body.subject for name in state.records.scopes()):
        # a verifier owns <id>/…: one named like a shared scope's namespace would own that scope
        raise Problem(
            409,
            "scope_namespace_taken",
            f"{body.subject} is the namespace of a shared scope; choose another verifier id",
        )
    return ApiKeyCreated(
        role=body.role, subject=body.subject, api_key=state.records.create_key(body.role, body.subject)
    )


@router.get("/keys", response_model=ApiKeyList)
def list_keys(state: State) -> ApiKeyList:
    """Every API key: id, role, subject and creation time; never the key itself."""
    return ApiKeyList(keys=state.records.keys())


@router.delete("/keys/{key_id}", status_code=204, responses=problem_responses(404))
def revoke_key(
    key_id: str = Path(pattern=r"^[0-9a-f]{16}$", description="the id from GET /v1/admin/keys"), *, state: State
) -> Response:
    """Revoke an API key: it fails on the next request, on every worker."""
    if not state.records.revoke_key(key_id):
        raise Problem(404, "not_found", f"no API key with id {key_id}")
    return Response(status_code=204)


@router.post("/scopes", response_model=SharedScopeInfo, responses=problem_responses(409))
def register_scope(body: SharedScope, state: State) -> SharedScopeInfo:
    """Register (or replace the members of) a shared scope: only its members may ask under it."""
    name = body.name
    namespace = name.split("/", 1)[0]
    if namespace in state.records.verifier_ids():
        raise Problem(409, "scope_namespace_taken", f"scopes under {namespace}/ belong to verifier {namespace}")
    members = sorted(set(body.members))
    state.records.register_scope(name, members)
    return SharedScopeInfo(name=name, members=members)
