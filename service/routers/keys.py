"""/v1/keys: the circuit's verification key and digests, so verifiers can check proofs themselves."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..problems import Problem
from .artifacts import artifact_index
from .common import get_state, problem_responses

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=problem_responses(404))


@router.get("")
def circuits(state=Depends(get_state)) -> dict:
    meta = state.keys.metadata
    return {"circuits": [{"circuit": state.circuit, "vk_digest": meta["vk_digest"], "constraints": meta["constraints"],
                          "public_inputs": meta["public_inputs"], "provenance": meta["provenance"],
                          "files": meta["files"], "artifacts": artifact_index(state)}]}


@router.get("/{circuit}/verification_key.json")
def verification_key(circuit: str, state=Depends(get_state)) -> dict:
    if circuit != state.circuit:
        raise Problem(404, "not_found", f"no circuit {circuit}")
    return state.keys.vk.to_snarkjs()
