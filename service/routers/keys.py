"""/v1/keys: the circuit's verification key and digests, so verifiers can check proofs themselves."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import State
from ..problems import Problem
from .artifacts import artifact_index
from .common import problem_responses

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=problem_responses(404))


@router.get("")
def circuits(state: State) -> dict:
    meta = state.keys.metadata
    return {"circuits": [{"circuit": state.circuit, "vk_digest": meta["vk_digest"], "constraints": meta["constraints"],
                          "public_inputs": meta["public_inputs"], "provenance": meta["provenance"],
                          "files": meta["files"], "artifacts": artifact_index(state),
                          "setup": meta.get("setup", "single-party"), "r1cs_sha256": meta.get("r1cs_sha256"),
                          "transcript": state.keys.transcript}]}


@router.get("/{circuit}/verification_key.json")
def verification_key(circuit: str, state: State) -> dict:
    if circuit != state.circuit:
        raise Problem(404, "not_found", f"no circuit {circuit}")
    return state.keys.vk.to_snarkjs()
