"""/v1/scopes: the shared scopes the admin registered and the verifiers that may ask in each.

A verifier owns every scope `<its id>/<name>`; any other scope must be listed here with it as a
member. Public: a holder can check who may learn that a nullifier was used in a scope."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import State
from ..schemas import SharedScopeInfo, SharedScopeList

router = APIRouter(prefix="/v1/scopes", tags=["verifiers"])


@router.get("", response_model=SharedScopeList)
def list_scopes(state: State) -> SharedScopeList:
    return SharedScopeList(scopes=[SharedScopeInfo(name=n, members=m) for n, m in state.records.scopes().items()])


def scope_owned(state, verifier: str, scope: str) -> bool:
    """Whether this verifier may ask under this scope."""
    if scope.startswith(verifier + "/") and len(scope) > len(verifier) + 1:
        return True
    members = state.records.scope_members(scope)
    return members is not None and verifier in members
