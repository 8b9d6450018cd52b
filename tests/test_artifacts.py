"""What a phone fetches from a running service: the proving key and witness program (sha256, strong
ETags, 304, immutable when versioned) and issuer trees as tiles, from which the path is computed."""

import hashlib
import random

import pytest
from fastapi.testclient import TestClient
from issuers import issue, register, revoke

from circuits import witness_program as wp
from service.app import create_app
from service.deps import state_of
from service.settings import Settings
from zkcore.merkle.tiles import decode_tile, path_from_tiles, tile_levels, tiles_for_leaf
from zkcore.params import R

ADMIN = "zk_test_admin_key_0123456789"
ISSUED = 700
REVOKED = (3, 256, 699)


@pytest.fixture(scope="module")
def service(tmp_path_factory, query_keys):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("artifacts"), admin_key=ADMIN,
                              keys_dir=query_keys.directory.parent))
    ledger = state_of(app).ledger
    register(ledger, "registry")
    rng = random.Random(5)
    issue(ledger, "registry", [rng.randrange(1, R) for _ in range(ISSUED)])
    for index in REVOKED:
        revoke(ledger, "registry", index)
    with TestClient(app) as client:
        yield client, state_of(app)


def test_keys_list_every_artifact_with_its_digest(service, query_keys):
    client, state = service
    (entry,) = client.get("/v1/keys").json()["circuits"]
    artifacts = entry["artifacts"]
    assert set(artifacts) == {"circuit.zkey", wp.PROGRAM_FILE, wp.CONSTANTS_FILE}
    for name, item in artifacts.items():
        data = (query_keys.directory / name).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest() == entry["files"][name]
        assert item["bytes"] == len(data) and item["url"] == f"/v1/keys/{state.circuit}/{name}?sha256={item['sha256']}"


@pytest.mark.parametrize("name", ["circuit.zkey", wp.PROGRAM_FILE, wp.CONSTANTS_FILE])
def test_artifacts_are_served_with_strong_etags_and_immutable_when_versioned(service, query_keys, name):
    client, state = service
    digest = state.keys.metadata["files"][name]
    versioned = client.get(f"/v1/keys/{state.circuit}/{name}?sha256={digest}")
    assert versioned.status_code == 200
    assert hashlib.sha256(versioned.content).hexdigest() == digest
    assert versioned.headers["etag"] == f'"{digest}"'
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    current = client.get(f"/v1/keys/{state.circuit}/{name}")
    assert current.content == versioned.content and current.headers["cache-control"] == "no-cache"
    for header in (f'"{digest}"', f'W/"{digest}"', f'"{"0" * 64}", "{digest}"', "*"):
        again = client.get(f"/v1/keys/{state.circuit}/{name}?sha256={digest}", headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == f'"{digest}"'
    other = client.get(f"/v1/keys/{state.circuit}/{name}", headers={"If-None-Match": f'"{"0" * 64}"'})
    assert other.status_code == 200 and other.content == versioned.content


@pytest.mark.parametrize("path", ["/v1/keys/{c}/metadata.json", "/v1/keys/{c}/transcript.json",
                                  "/v1/keys/other/circuit.zkey",
                                  "/v1/keys/{c}/circuit.zkey?sha256=" + "0" * 64, "/v1/keys/{c}/..%2Fmetadata.json"])
def test_unknown_or_stale_artifacts_are_404_problems(service, path):
    client, state = service
    response = client.get(path.format(c=state.circuit))
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_malformed_digest_is_422(service):
    client, state = service
    response = client.get(f"/v1/keys/{state.circuit}/circuit.zkey?sha256=ABC")
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_tiles_give_every_leaf_its_path_without_naming_it(service):
    client, state = service
    layout = client.get("/v1/ledger/issuers/registry/tiles").json()
    depth = layout["depth"]
    assert layout["size"] == ISSUED
    assert [(x["base_height"], x["height"]) for x in layout["levels"]] == tile_levels(depth)
    fetched = {}
    for leaf in (0, 3, 255, 256, 511, 512, 698, 699):
        tiles = {}
        for (level, index), (_, height) in zip(tiles_for_leaf(depth, leaf), tile_levels(depth)):
            response = client.get(f"/v1/ledger/issuers/registry/tiles/{level}/{index}")
            assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
            assert response.headers["zkelig-tree-size"] == str(ISSUED)
            assert response.headers["cache-control"] == "no-cache"
            tiles[(level, index)] = decode_tile(response.content, 1 << height)
            fetched[(level, index)] = response
        path, root = path_from_tiles(depth, leaf, tiles)
        tree = state.ledger._state.issuers["registry"].tree
        assert path == tree.path(leaf) and root == state.ledger.issuer_root("registry")
        assert root in state.ledger.accepted_roots("registry")
        assert (tiles[(0, leaf >> 8)][leaf % 256] == 0) == (leaf in REVOKED)
    assert len(fetched[(0, 0)].content) == 256 * 32 and len(fetched[(0, 2)].content) == (ISSUED - 512) * 32
    tag = fetched[(0, 0)].headers["etag"]
    assert tag == f'"{hashlib.sha256(fetched[(0, 0)].content).hexdigest()}"'
    assert client.get("/v1/ledger/issuers/registry/tiles/0/0", headers={"If-None-Match": tag}).status_code == 304


@pytest.mark.parametrize("path, status", [("/v1/ledger/issuers/registry/tiles/0/3", 404),  # beyond the right edge
                                          ("/v1/ledger/issuers/registry/tiles/3/0", 404),  # depth 20: levels 0..2
                                          ("/v1/ledger/issuers/registry/tiles/2/1", 404),
                                          ("/v1/ledger/issuers/nobody/tiles/0/0", 404),
                                          ("/v1/ledger/issuers/nobody/tiles", 404),
                                          ("/v1/ledger/issuers/registry/tiles/-1/0", 422),
                                          ("/v1/ledger/issuers/registry/tiles/0/x", 422)])
def test_tiles_that_do_not_exist_are_problems(service, path, status):
    client, _ = service
    response = client.get(path)
    assert response.status_code == status and response.headers["content-type"] == "application/problem+json"
