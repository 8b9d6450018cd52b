"""Proof-request creation refuses what no credential could answer (each refusal names its rule), a
request's `today` is the date in the deployment's time zone around midnight on both sides of UTC,
server-side proving refuses an expired request, and the service refuses a weak admin key.
In-process (TestClient) with an injected clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.client import ApiError, ZkeligClient
from service.settings import Settings, SettingsRefused, check_settings, weak_admin_key

ADMIN = "zk-request-rules-admin-key-Vq81xTz5Wm"
PASS = "a sufficiently long passphrase"


class Clock:
    def __init__(self):
        self.now = dt.datetime.now(dt.UTC).timestamp()

    def __call__(self) -> float:
        return self.now

    def set_utc(self, *args) -> None:
        self.now = dt.datetime(*args, tzinfo=dt.UTC).timestamp()


@pytest.fixture(scope="module")
def service(tmp_path_factory, query_keys):
    clock = Clock()
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("rules"), admin_key=ADMIN, clock=clock,
                              keys_dir=query_keys.directory.parent, holder_rate_per_minute=100_000, request_ttl_s=600))
    with TestClient(app) as http:
        admin = ZkeligClient("http://testserver", ADMIN, transport=http._transport)
        registry = admin.enrol_issuer("registry")  # holds the key that signs what it issues
        hospital = admin.with_key(admin.create_key("verifier", "hospital-a"))
        yield dict(app=app, clock=clock, admin=admin, registry=registry, hospital=hospital, phone=admin.with_key(""))


def _create(s, body: dict):
    return s["hospital"]._call("POST", "/v1/verifiers/hospital-a/requests", {"scope": "hospital-a/rules", **body})


@pytest.mark.parametrize("body, status, code, rule", [
    ({"issuers": ["nobody"], "preset": "age_at_least", "params": {"years": 18}}, 422, "unknown_issuer",
     "issuers must be registered"),
    ({"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18}, "schema": "person.v1",
      "queries": [{"slot": 0, "op": "GTE", "values": [1]}]}, 422, "invalid_request", "either a preset"),
    ({"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18}, "schema": "person.v1"}, 422,
     "invalid_request", "either a preset"),
    ({"issuers": ["registry"], "schema": "person.v1", "params": {"years": 18}}, 422, "invalid_request",
     "params belong to a preset"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 2, "op": "EQ", "values": [1]}]}, 422,
     "invalid_request", "person.v1 has slots 0..1"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "BETWEEN", "values": [9, 3]}]},
     422, "invalid_request", "low ≤ high"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "NOT_BETWEEN", "values": [9, 3]}]},
     422, "invalid_request", "low ≤ high"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "BETWEEN", "values": []}]},
     422, "invalid_request", "BETWEEN takes 2 value(s), got 0"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "BETWEEN", "values": [1, 2, 3]}]},
     422, "invalid_request", "BETWEEN takes 2 value(s), got 3"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "IN", "values": []}]},
     422, "invalid_request", "IN takes at least 1 value(s)"),
    ({"issuers": ["registry"], "preset": "age_at_least", "params": {"years": "18"}}, 422, "invalid_request",
     "params.years"),
    ({"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18.0}}, 422, "invalid_request",
     "params.years"),
    ({"issuers": ["registry"], "preset": "age_at_least", "params": {"years": True}}, 422, "invalid_request",
     "params.years"),
    ({"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": "1", "op": "EQ", "values": [1]}]}, 422,
     "invalid_request", "queries.0.slot"),
])
def test_request_creation_refuses_with_the_rule(service, body, status, code, rule):
    with pytest.raises(ApiError) as err:
        _create(service, body)
    assert (err.value.status, err.value.code) == (status, code)
    assert rule in err.value.detail


@pytest.mark.parametrize("body", [
    {"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18}},
    {"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "BETWEEN", "values": [3, 3]}]},
    {"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "IN", "values": [1, 2, 3]}]},
    {"issuers": ["registry"], "schema": "person.v1", "queries": [{"slot": 1, "op": "NOOP"}]},
])
def test_the_other_side_of_each_rule_is_accepted(service, body):
    assert _create(service, body)["request_id"]


# Just before and just after midnight, local time, in zones on both sides of UTC (and UTC itself).
@pytest.mark.parametrize("zone, utc, local_date", [
    ("UTC", (2026, 3, 1, 23, 59, 59), dt.date(2026, 3, 1)),
    ("UTC", (2026, 3, 2, 0, 0, 0), dt.date(2026, 3, 2)),
    ("Pacific/Kiritimati", (2026, 3, 1, 9, 59, 59), dt.date(2026, 3, 1)),  # UTC+14
    ("Pacific/Kiritimati", (2026, 3, 1, 10, 0, 0), dt.date(2026, 3, 2)),
    ("Asia/Tokyo", (2026, 3, 1, 14, 59, 59), dt.date(2026, 3, 1)),  # UTC+9
    ("Asia/Tokyo", (2026, 3, 1, 15, 0, 0), dt.date(2026, 3, 2)),
    ("America/New_York", (2026, 3, 2, 4, 59, 59), dt.date(2026, 3, 1)),  # UTC-5 in winter
    ("America/New_York", (2026, 3, 2, 5, 0, 0), dt.date(2026, 3, 2)),
    ("Pacific/Pago_Pago", (2026, 3, 2, 10, 59, 59), dt.date(2026, 3, 1)),  # UTC-11
    ("Pacific/Pago_Pago", (2026, 3, 2, 11, 0, 0), dt.date(2026, 3, 2)),
])
def test_today_is_the_date_in_the_deployment_zone(service, monkeypatch, zone, utc, local_date):
    from circuits.requests import ProofRequest

    monkeypatch.setattr(service["app"].state.zk, "zone", ZoneInfo(zone))
    service["clock"].set_utc(*utc)
    try:
        made = _create(service, {"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18}})
    finally:
        service["clock"].now = dt.datetime.now(dt.UTC).timestamp()
    assert ProofRequest.from_json(made["request"]).today == local_date


def test_the_zone_setting_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("ZKELIG_TIMEZONE", "Europe/Amsterdam")
    assert str(check_settings(Settings(admin_key=""))) == "Europe/Amsterdam"
    assert str(check_settings(Settings(admin_key="", timezone="UTC"))) == "UTC"
    with pytest.raises(SettingsRefused, match="not an IANA time zone"):
        check_settings(Settings(admin_key="", timezone="Mars/Olympus"))


def test_an_expired_request_is_refused_before_proving(service):
    s = service
    wallet = s["phone"].create_wallet(PASS)
    issued = s["registry"].issue("registry", [{
        "schema": "person.v1", "id_commitment": wallet["id_commitment"],
        "attributes": {"birthdate": dt.date(1980, 1, 1), "country": 1},
        "expiry": dt.date.today() + dt.timedelta(days=99)}])["credentials"][0]
    credential_id = s["phone"].store_credential(wallet["wallet_id"], PASS, issued["credential"])
    rid = _create(s, {"issuers": ["registry"], "preset": "age_at_least", "params": {"years": 18}})["request_id"]
    start = s["clock"].now
    try:
        s["clock"].now = start + 601
        with pytest.raises(ApiError) as err:
            s["phone"].prove_with_wallet(wallet["wallet_id"], PASS, credential_id, rid)
        assert (err.value.status, err.value.code) == (409, "request_expired")
    finally:
        s["clock"].now = start


@pytest.mark.parametrize("weak", ["secret", "zk_test_admin", "x" * 64, "ab" * 40])
def test_a_weak_admin_key_is_refused(weak, tmp_path):
    with pytest.raises(SettingsRefused, match="secrets.token_urlsafe"):
        create_app(Settings(data_dir=tmp_path, admin_key=weak))
    assert not any(tmp_path.iterdir())  # refused before anything was created


def test_strong_admin_keys_pass():
    import secrets

    for key in (secrets.token_urlsafe(16), secrets.token_urlsafe(32), secrets.token_hex(16), ADMIN, ""):
        assert weak_admin_key(key) is None, key


# --- the preset registry: one table (circuits.requests.PRESETS), its words, the API and the CLI -----------------

def _sample(param) -> object:
    """A valid value of a preset parameter, at its lower bound where it has one."""
    return {"integer": param.min, "date": "2026-05-01", "money": 12_345, "codes": [3, 7]}[param.kind]


def test_every_preset_has_words_and_every_word_a_preset():
    from circuits.requests import PRESETS
    from service import presets

    assert set(presets.WORDS) == set(PRESETS)
    for name, preset in PRESETS.items():
        assert set(presets.WORDS[name]["params"]) == {p.name for p in preset.params}, name
    served = presets.registry()["presets"]
    assert [p["name"] for p in served["reimbursable"]["params"]] == ["claim_cents", "covered_plans", "day"]
    assert served["age_at_least"]["params"][0] | {} == {"name": "years", "kind": "integer", "required": True,
                                                        "min": 0, "max": 150, "label": "Minimum age in years",
                                                        "default": 18}


@pytest.mark.parametrize("name", ["age_at_least", "insured_on", "reimbursable"])
def test_the_api_accepts_each_preset_and_refuses_it_without_its_parameters(service, name):
    from circuits.requests import PRESETS

    preset = PRESETS[name]
    params = {p.name: _sample(p) for p in preset.params}
    made = _create(service, {"issuers": ["registry"], "preset": name, "params": params})
    assert made["preset"] == name and made["request"]["schema"] == preset.schema.name
    for p in preset.params:
        assert made["params"][p.name] == p.to_json(dt.date(2026, 5, 1) if p.kind == "date" else params[p.name])
    required = [p.name for p in preset.params if p.required]
    if required:
        with pytest.raises(ApiError) as err:
            _create(service, {"issuers": ["registry"], "preset": name, "params": {}})
        assert (err.value.status, err.value.code) == (422, "invalid_request")
        assert all(f"params.{p}" in str(err.value) for p in required)


def test_every_preset_in_the_table_is_tested_above():
    from circuits.requests import PRESETS

    assert sorted(PRESETS) == ["age_at_least", "insured_on", "reimbursable"]  # a new preset: add it to the list


def test_the_api_refuses_an_unknown_preset_and_out_of_bounds_parameters(service):
    for body in ({"preset": "age_at_most", "params": {"years": 18}},
                 {"preset": "age_at_least", "params": {"years": 151}},
                 {"preset": "reimbursable", "params": {"claim_cents": 1, "covered_plans": list(range(9))}}):
        with pytest.raises(ApiError) as err:
            _create(service, {"issuers": ["registry"], **body})
        assert err.value.status == 422, body


def test_every_operator_has_words_and_an_arity():
    from circuits.credential_query import Op
    from service import presets
    from service.schemas import QueryBody

    assert set(presets.OPERATORS) == set(Op.__members__)
    assert {op.name: op.arity for op in Op if op.arity != (1, 1)} == {
        "NOOP": (0, 0), "IN": (1, None), "NIN": (1, None), "BETWEEN": (2, 2), "NOT_BETWEEN": (2, 2)}
    for op in Op:
        assert QueryBody(slot=0, op=op.name).op == op.name  # the API takes each operator by name
