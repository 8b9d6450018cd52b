"""Strong ETags and conditional GETs for content the service serves by digest (artifacts, tiles)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # may be stored, but asked again (a 304 costs a few bytes) before each use


def etag(sha256_hex: str) -> str:
    return f'"{sha256_hex}"'


def not_modified(request: Request, tag: str) -> bool:
    """Whether If-None-Match names `tag` (RFC 9110 §13.1.2: weak comparison, `*` matches any)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or tag in candidates


def not_modified_response(tag: str, cache_control: str) -> Response:
    return Response(status_code=304, headers={"ETag": tag, "Cache-Control": cache_control})
