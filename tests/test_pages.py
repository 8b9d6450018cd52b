"""The page infrastructure: static serving with an allow-list for vendor files, the preset registry, and the
shared browser modules (api.js, words.js) run in headless Chromium against a real `zkelig serve`."""

import httpx
import pytest


def test_pages_and_assets_are_served_with_their_types(desk_server):
    url = desk_server.url
    home = httpx.get(url + "/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in home.headers["content-security-policy"]
    for path, kind in (("/web/shared/api.js", "text/javascript"), ("/web/shared/words.js", "text/javascript"),
                       ("/web/shared/style.css", "text/css"),
                       ("/web/vendor/snarkjs/build/snarkjs.min.js", "text/javascript")):
        response = httpx.get(url + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(kind), path
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "/web/../service/app.py", "/web/%2e%2e/%2e%2e/pyproject.toml", "/web/shared/nope.js",
    "/web/vendor/snarkjs/package.json", "/web/vendor/snarkjs/build/../package.json",
    "/web/vendor/circomlibjs/package.json", "/web/vendor/../../pyproject.toml",
])
def test_nothing_outside_the_web_folder_or_the_vendor_allow_list(desk_server, path):
    response = httpx.get(desk_server.url + path)
    assert response.status_code == 404, path
    assert response.headers["content-type"] == "application/problem+json"


def test_preset_registry_names_every_preset_with_its_words(desk_server):
    registry = httpx.get(desk_server.url + "/v1/presets").json()
    assert set(registry["presets"]) == {"age_at_least", "insured_on", "reimbursable"}
    for preset in registry["presets"].values():
        for template in ("title", "question", "accepted"):
            names = {p["name"] for p in preset["params"]}
            used = set(__import__("re").findall(r"\{(\w+)\}", preset[template]))
            assert used <= names, (template, used - names)
    assert registry["schemas"]["person.v1"][0] == {"name": "birthdate", "kind": "date", "words": "date of birth"}
    assert "request_expired" in registry["refusals"]


WORDS = """async () => {
  const w = await import('/web/shared/words.js');
  await w.loadPresets();
  return {
    date: w.dateWords('1990-05-12'),
    money: w.moneyWords('125000'),
    question: w.questionWords('age_at_least', {years: 18}),
    accepted: w.acceptedWords('age_at_least', {years: 18}),
    claim: w.questionWords('reimbursable', {claim_cents: '125000', covered_plans: ['7', '9'], day: '2026-11-30'}),
    refusal: w.refusalWords('nullifier_reused', 'reimbursable'),
    generic: w.refusalWords('request_expired', 'age_at_least'),
    raw: w.requestWords({preset: null, request: {schema: 'person.v1',
                         queries: [{slot: 0, op: 'LTE', values: [String(2 ** 31 + 14000)]}]}}).question,
    outcome: w.outcomeWords({decision: 'refused', reason: 'request_already_answered',
                             question: {preset: 'age_at_least', params: {years: 18}}}),
    countdown: [w.countdownWords(299500), w.countdownWords(0), w.countdownWords(3723000)],
    slot: w.slotDate(String(2 ** 31)),
  };
}"""


def test_words_say_dates_money_questions_and_refusals(desk_server, page):
    page.goto(desk_server.url + "/")
    said = page.evaluate(WORDS)
    assert said["date"] == "12 May 1990"
    assert said["money"] == "€1,250.00"
    assert said["question"] == "Are you 18 or older?"
    assert said["accepted"] == "Eligible: 18 or older"
    assert said["claim"] == "Is a claim of €1,250.00 on 30 November 2026 reimbursable under your plan (plans 7 or 9)?"
    assert said["refusal"] == "this claim was already reimbursed"
    assert said["generic"] == "the request expired before the answer arrived"
    assert said["raw"] == "Can you prove that date of birth is on or before, or at most, 1 May 2008?"
    assert said["outcome"] == {"ok": False, "text": "Not accepted: this request was already answered"}
    assert said["countdown"] == ["5:00", "expired", "1:02:03"]
    assert said["slot"] == "1970-01-01"
    assert page.page_errors == []


API = """async () => {
  const {api, ApiError} = await import('/web/shared/api.js');
  const out = {};
  try { await api('/v1/verifiers/x/requests', {body: {}, key: 'zk_wrong'}); }
  catch (e) { out.unknownKey = [e instanceof ApiError, e.status, e.code, e.message]; }
  try { await api('/v1/requests/not-a-request'); }
  catch (e) { out.missing = [e.status, e.code, e.message]; }
  out.ok = (await api('/v1/ledger/key')).origin;
  return out;
}"""


def test_api_wrapper_turns_problems_into_readable_errors(desk_server, page, sent):
    page.goto(desk_server.url + "/")
    said = page.evaluate(API)
    assert said["unknownKey"] == [True, 401, "unauthorized", "Unknown API key."]
    assert said["missing"][:2] == [404, "not_found"] and said["missing"][2].endswith(".")
    assert said["ok"] == "zkelig/ledger"
    assert sent.carrying("/v1/ledger/key") and sent.carrying("zk_wrong") == []  # the key travels in a header only
