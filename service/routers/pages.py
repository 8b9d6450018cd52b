"""The pages people use (/desk, /wallet, /regulator), their files under /web/, the third-party browser code
they need under /web/vendor/, and the preset registry they speak from (GET /v1/presets).

Pages are plain files from service/web/; vendor files come from node_modules, but only those named in
VENDOR_FILES: the service never serves a whole package tree. Nothing is fetched from a CDN.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from .. import presets
from ..problems import Problem
from ..settings import ROOT

WEB = Path(__file__).resolve().parents[1] / "web"
NODE_MODULES = ROOT / "node_modules"
PAGES = {"desk": "desk/index.html", "wallet": "wallet/index.html", "regulator": "regulator/index.html"}
# package → files a page may load from it (as the package ships them)
VENDOR_FILES: dict[str, tuple[str, ...]] = {
    "snarkjs": ("build/snarkjs.min.js",),
    "jsqr": ("dist/jsQR.js",),  # the wallet reads QR codes from pictures and the camera
    "qrcode-generator": ("dist/qrcode.mjs",),  # the wallet draws its identity commitment
    "chart.js": ("dist/chart.umd.min.js",),  # the regulator's plots
}
# Pages load only what this service serves; wasm for snarkjs, blob workers for its threads.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' data: blob:; "
       "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".svg": "image/svg+xml", ".json": "application/json", ".webmanifest": "application/manifest+json",
          ".wasm": "application/wasm", ".png": "image/png"}

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["pages"])


def _file(path: Path, cache: str = "no-cache") -> FileResponse:
    media = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if path.suffix == ".html":
        headers["Content-Security-Policy"] = CSP
    if path == WEB / "wallet" / "sw.js":
        headers["Service-Worker-Allowed"] = "/wallet"  # the worker lives under /web/ but serves the /wallet page
    return FileResponse(path, media_type=media, headers=headers)


def _inside(base: Path, relative: str) -> Path:
    """base/relative if it names a file inside base (no '..', no symlink out), else a 404."""
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()) or not target.is_file():
        raise Problem(404, "not_found", "no such file")
    return target


@api.get("/v1/presets")
def preset_registry() -> dict:
    """The questions verifiers can ask by name, their parameters, and the words pages use for them."""
    return presets.registry()


@router.get("/")
def home() -> FileResponse:
    return _file(_inside(WEB, "index.html"))


def _page(name: str):
    def page() -> FileResponse:
        return _file(_inside(WEB, PAGES[name]))

    return page


for _name in PAGES:
    router.add_api_route(f"/{_name}", _page(_name), methods=["GET"])


@router.get("/web/vendor/{package}/{path:path}")
def vendor(package: str, path: str) -> FileResponse:
    if path not in VENDOR_FILES.get(package, ()):
        raise Problem(404, "not_found", "no such vendor file")
    return _file(_inside(NODE_MODULES / package, path), cache="public, max-age=86400")


@router.get("/web/{path:path}")
def asset(path: str) -> FileResponse:
    return _file(_inside(WEB, path))
