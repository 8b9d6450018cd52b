"""/v1/ledger/issuers/{issuer}/tiles: each issuer tree as tiles (zkcore/merkle/tiles.py says what
a tile holds and what the server still learns), so a wallet computes its membership path itself.

A tile is `application/octet-stream`, 32 bytes a node; the `Zkelig-Tree-Size` header gives the
tree's size when it was read. Tiles change with every issuance and revocation, so they are served
`no-cache` with a strong ETag (the sha256 of the bytes) and If-None-Match → 304.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from zkcore.merkle.tiles import NODE_BYTES, TILE_HEIGHT, encode_tile, tile_levels

from ..deps import State
from ..http_cache import REVALIDATE, etag, not_modified, not_modified_response
from ..ledger import UnknownIssuer
from ..problems import Problem
from ..schemas import Id
from .common import problem_responses

router = APIRouter(prefix="/v1/ledger/issuers", tags=["ledger", "holders"], responses=problem_responses(404, 422))


def _size(state, issuer: str) -> int:
    state.ledger.refresh()
    try:
        return state.ledger.tree_nodes(issuer, 0, 0, 0)[0]
    except UnknownIssuer:
        raise Problem(404, "unknown_issuer", f"issuer {issuer} is not registered") from None


@router.get("/{issuer}/tiles")
def layout(issuer: Id, state: State) -> dict:
    """The tree's depth and size and the tile levels: what a wallet needs to name its tiles."""
    size = _size(state, issuer)
    depth = state.ledger.tree_depth
    return {"issuer": issuer, "depth": depth, "size": size, "tile_height": TILE_HEIGHT, "node_bytes": NODE_BYTES,
            "levels": [{"level": level, "base_height": base, "height": height}
                       for level, (base, height) in enumerate(tile_levels(depth))]}


@router.get("/{issuer}/tiles/{level}/{index}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the tile's nodes"},
                       304: {"description": "not modified"}})
def tile(issuer: Id, request: Request, level: int = Path(ge=0, le=31), index: int = Path(ge=0, lt=2**32),
         *, state: State) -> Response:
    """Nodes 256·index .. 256·index + 255 at the tile level's base height, as far as the tree has them."""
    _size(state, issuer)
    levels = tile_levels(state.ledger.tree_depth)
    if level >= len(levels):
        raise Problem(404, "not_found", f"the tree has tile levels 0..{len(levels) - 1}")
    base, height = levels[level]
    start = index << height
    size, nodes = state.ledger.tree_nodes(issuer, base, start, start + (1 << height))
    if not nodes:
        raise Problem(404, "not_found", f"tile {level}/{index} lies beyond the tree's {size} leaves")
    body = encode_tile(nodes)
    tag = etag(hashlib.sha256(body).hexdigest())
    if not_modified(request, tag):
        return not_modified_response(tag, REVALIDATE)
    return Response(body, media_type="application/octet-stream",
                    headers={"ETag": tag, "Cache-Control": REVALIDATE, "Zkelig-Tree-Size": str(size)})
