"""One-time credential pickups: the service keeps only ciphertext, hands it out once, and only to a
collector; the issuer posting it must act for itself. The wallet page's reader is exercised by
tests/test_wallet_page.py."""

import base64
import json
import os
import time

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient

from service import pickups as pk
from service.app import create_app
from service.client import ZkeligClient
from service.settings import Settings

ADMIN = "zk_test_admin_key_0123456789"
CREDENTIAL = {"schema": "person.v1", "issuer": "registry", "id_commitment": "123", "slots": ["1"] * 8,
              "expiry": "2147500000", "nonce": "123456789012345678901234567890", "leaf_index": 0}


def _open(ciphertext: str, key: str) -> dict:
    raw = base64.b64decode(ciphertext)
    key_bytes = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    return json.loads(AESGCM(key_bytes).decrypt(raw[:12], raw[12:], pk.PICKUP_AAD))


@pytest.fixture(scope="module")
def service(tmp_path_factory, query_keys):
    settings = Settings(data_dir=tmp_path_factory.mktemp("pickups"), admin_key=ADMIN,
                        keys_dir=query_keys.directory.parent)
    with TestClient(create_app(settings)) as http:
        admin = ZkeligClient("http://testserver", ADMIN, transport=http._transport)
        registry = admin.enrol_issuer("registry")
        other = admin.enrol_issuer("other")
        yield http, registry, other


def test_a_pickup_opens_once_with_the_key_in_the_fragment(service):
    http, registry, _ = service
    link = registry.create_pickup("registry", CREDENTIAL)
    assert link.startswith("http://testserver/wallet#pickup=")
    pickup_id, key = link.split("#pickup=")[1].split(".")
    first = http.post(f"/v1/pickups/{pickup_id}/collect")
    assert first.status_code == 200 and first.json()["issuer"] == "registry"
    assert _open(first.json()["ciphertext"], key) == CREDENTIAL
    second = http.post(f"/v1/pickups/{pickup_id}/collect")
    assert second.status_code == 404 and second.headers["content-type"] == "application/problem+json"
    assert second.json()["code"] == "pickup_gone"


def test_the_service_stores_nothing_it_can_read(service):
    http, registry, _ = service
    registry.create_pickup("registry", CREDENTIAL)
    pickups = http.app.state.zk.pickups
    with pickups.store.read() as tx:
        rows = tx.all("SELECT ciphertext FROM pickups")
    for (ciphertext,) in rows:
        stored = ciphertext + base64.b64decode(ciphertext).decode("latin-1")
        assert CREDENTIAL["nonce"] not in stored and "person.v1" not in stored and "registry" not in stored
    assert rows
    ciphertext, _ = pk.seal_pickup(CREDENTIAL)
    wrong = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    with pytest.raises(InvalidTag):
        _open(ciphertext, wrong)


def test_only_the_issuer_itself_posts_and_bad_input_is_refused(service):
    http, registry, other = service
    body = {"ciphertext": base64.b64encode(os.urandom(64)).decode()}
    assert other.http.post("/v1/issuers/registry/pickups", json=body).status_code == 403
    assert http.post("/v1/issuers/registry/pickups", json=body).status_code == 401
    for bad in ({"ciphertext": "not base64!"}, {"ciphertext": "A" * (pk.MAX_CIPHERTEXT_CHARS + 4)}, {}):
        response = registry.http.post("/v1/issuers/registry/pickups", json=bad)
        assert response.status_code in (413, 422) and response.json()["code"]
    assert http.post("/v1/pickups/short/collect").status_code == 422
    assert http.post("/v1/pickups/" + "x" * 22 + "/collect").status_code == 404


def test_a_lapsed_pickup_is_gone(service, monkeypatch):
    http, registry, _ = service
    link = registry.create_pickup("registry", CREDENTIAL)
    pickup_id = link.split("#pickup=")[1].split(".")[0]
    real = time.time
    monkeypatch.setattr(pk.time, "time", lambda: real() + pk.PICKUP_TTL_S + 5)
    assert http.post(f"/v1/pickups/{pickup_id}/collect").status_code == 404
