"""Fixtures for tests that drive pages: a real `zkelig serve` process, headless Chromium through Playwright,
a recorder of every request a page sends, and screenshots per step.

    def test_desk(zkelig_server, page, shot, sent):
        page.goto(zkelig_server.url + "/desk"); shot("opened")
        ...
        assert not any("secret" in r.body for r in sent)

Chromium is Debian's (/usr/bin/chromium, or $ZKELIG_CHROMIUM); `playwright install` is never run.
Missing Chromium or Playwright under CI=true is a failure, not a skip. Screenshots go to
tests/artifacts/<test>/<step>.png (gitignored), kept after the run for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import in_ci
from served import serving

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ADMIN_KEY = "zk_test_admin_key_for_pages_0123456789"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    admin_key: str
    proc: subprocess.Popen = field(repr=False)

    def admin(self):
        from service.client import ZkeligClient

        return ZkeligClient(self.url, self.admin_key)


@contextmanager
def serve(data_dir: Path, keys_root: Path, workers: int = 2, env: dict | None = None):
    """`zkelig serve --workers N` on a free port of 127.0.0.1 with a fresh database in data_dir."""
    environment = {"ZKELIG_ADMIN_KEY": ADMIN_KEY, "ZKELIG_KEYS": str(keys_root), **(env or {})}
    with serving("--init", "--data-dir", str(data_dir), env=environment, log=data_dir / "server.log",
                 workers=workers) as (proc, url):
        yield LiveServer(url, data_dir, ADMIN_KEY, proc)


@pytest.fixture(scope="module")
def zkelig_server(tmp_path_factory, query_keys):
    """A real `zkelig serve --workers 2` for this test module (SQLite in a fresh directory)."""
    with serve(tmp_path_factory.mktemp("zkelig-serve"), query_keys.directory.parent) as server:
        yield server


def chromium_executable() -> str:
    path = os.environ.get("ZKELIG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        message = f"Chromium not found at {path}; `make test` installs it (tests/ensure_chromium.sh)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright, one per test session."""
    executable = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("playwright (PyPI) is missing: pip install -e '.[dev]'")
        pytest.skip("playwright (PyPI) is missing")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    body: str  # the request body as text ("" when none); binary bodies as latin-1 text


class RequestRecorder(list):
    """Every request the pages of a context sent, in order (service worker and fetch requests included)."""

    def attach(self, context) -> None:
        context.on("request", self._record)

    def _record(self, request) -> None:
        body = request.post_data_buffer
        self.append(SentRequest(request.method, request.url, body.decode("latin-1") if body else ""))

    def carrying(self, text: str) -> list[SentRequest]:
        """The requests whose URL or body contains `text`."""
        return [r for r in self if text in r.url or text in r.body]


@pytest.fixture
def sent() -> RequestRecorder:
    return RequestRecorder()


def new_context(browser, recorder: RequestRecorder | None = None, phone: bool = False):
    """A fresh browser context (its own storage): a desk screen, or a phone-sized one."""
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(
        viewport=size,
        device_scale_factor=1,
        is_mobile=phone,
        has_touch=phone,
        locale="en-GB",
        timezone_id="Europe/Paris",
    )
    if recorder is not None:
        recorder.attach(context)
    return context


@pytest.fixture
def page(browser, sent):
    """A desk-sized page in a fresh context whose every request is recorded in `sent`."""
    context = new_context(browser, sent)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.page_errors = errors  # uncaught script errors, for tests to assert on
    yield tab
    context.close()


def artifact_dir(node_name: str) -> Path:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(request, page):
    """shot(step, target=page): a full-page PNG at tests/artifacts/<test>/<NN>-<step>.png."""
    folder = artifact_dir(request.node.name)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 1000))

    def take(step: str, target=None) -> Path:
        path = folder / f"{next(counter):02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', step)}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def desk_server(tmp_path_factory, query_keys):
    """One `zkelig serve --workers 2` shared by the desk, hand-off and FHIR tests (starting one costs a
    minute on a loaded machine); they use their own organisations in it."""
    with serve(tmp_path_factory.mktemp("desk-serve"), query_keys.directory.parent) as server:
        yield server


@pytest.fixture(scope="session")
def desk_world(desk_server, query_keys):
    """Issuers, a hospital verifier and a holder proving on her device (tests/desk_world.py)."""
    from desk_world import build_world

    return build_world(desk_server, query_keys.pk)
