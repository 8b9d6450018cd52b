"""/v1/keys/{circuit}/{file}: what a phone downloads to prove on the device: the proving key, the
witness program and its Poseidon constants, each with the sha256 that /v1/keys lists.

`?sha256=<digest>` names one version: served with `Cache-Control: public, max-age=31536000,
immutable` (the bytes behind that URL never change; a stale digest is 404, never other bytes).
Without it the current version is served `no-cache`, to be revalidated. Both carry the strong
ETag "<sha256>" and answer If-None-Match with 304. The wallet checks every download against the
listed digest before use, so a cache or proxy that altered a file is caught.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from circuits import witness_program

from ..deps import State
from ..http_cache import IMMUTABLE, REVALIDATE, etag, not_modified, not_modified_response
from ..problems import Problem
from .common import problem_responses

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=problem_responses(404, 422))
MEDIA_TYPES = {"circuit.zkey": "application/octet-stream", witness_program.PROGRAM_FILE: "application/json",
               witness_program.CONSTANTS_FILE: "application/json"}
Digest = Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$", description="the version to serve, by sha256")]


def artifact_index(state) -> dict:
    """{file: {url, sha256, bytes}} of the artifacts a wallet fetches, with versioned URLs."""
    out = {}
    for name in MEDIA_TYPES:
        digest = state.keys.metadata["files"][name]
        out[name] = {"url": f"/v1/keys/{state.circuit}/{name}?sha256={digest}", "sha256": digest,
                     "bytes": (state.keys.directory / name).stat().st_size}
    return out


@router.get("/{circuit}/{name}", response_class=Response,
            responses={200: {"content": {t: {} for t in set(MEDIA_TYPES.values())}, "description": "the file"},
                       304: {"description": "not modified"}})
def artifact(circuit: str, name: str, request: Request, sha256: Digest = None, *, state: State) -> Response:
    if circuit != state.circuit or name not in MEDIA_TYPES:
        raise Problem(404, "not_found", f"no file {name} for circuit {circuit}")
    digest = state.keys.metadata["files"][name]
    if sha256 is not None and sha256 != digest:
        raise Problem(404, "not_found", f"{name} with sha256 {sha256} is not served any more: list /v1/keys")
    tag, cache = etag(digest), IMMUTABLE if sha256 else REVALIDATE
    if not_modified(request, tag):
        return not_modified_response(tag, cache)
    return FileResponse(state.keys.directory / name, media_type=MEDIA_TYPES[name],
                        headers={"ETag": tag, "Cache-Control": cache})
