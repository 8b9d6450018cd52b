"""/fhir: an HL7 FHIR R4 eligibility edge for hospital systems (EHRs), parsed and emitted with the
`fhir.resources` models (the R4B package, whose CoverageEligibility* resources are R4's).

    GET  /fhir/metadata                            CapabilityStatement
    POST /fhir/CoverageEligibilityRequest          → CoverageEligibilityResponse, outcome "queued", with
                                                     the patient's request link as an extension
    GET  /fhir/CoverageEligibilityResponse/{id}    outcome "complete" once the patient answered (or "error")

A request becomes a proof request (a preset), answered by the patient's wallet from the link:
    purpose validation                     → insured_on(servicedDate)
    purpose benefits + one item            → reimbursable(item.unitPrice × quantity, covered plans, servicedDate)
    purpose validation + minimum-age ext.  → age_at_least(N) (servicedDate not needed)
`insurer` names the issuer whose credentials are accepted. No patient identifier exists anywhere: the
response's patient is a contained, anonymous Patient, and nothing of the posted `patient` is read or kept.
Anything invalid is answered with an OperationOutcome (4xx), never a 500. Auth: the verifier's API key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from circuits.requests import PRESETS

from .. import presets
from ..deps import state_of
from ..handoff import base_url, expires_at_ms, request_view
from ..problems import Problem
from ..verification import _canonical

FHIR_JSON = "application/fhir+json"
SD = "https://zkelig.example/fhir/StructureDefinition/"
EXT_LINK = SD + "request-link"  # valueUrl: the link the patient opens (also as a QR code: EXT_QR)
EXT_QR = SD + "request-qr"
EXT_EXPIRES = SD + "request-expires"  # valueDateTime
EXT_MIN_AGE = SD + "minimum-age"  # valueUnsignedInt on the request: an age check
EXT_PLAN = SD + "covered-plan"  # valueUnsignedInt on a benefits item, one per plan that covers it
RECEIPT_SYSTEM = "https://zkelig.example/fhir/receipt-sha256"  # identifier: sha256 of the signed receipt body
REFUSAL_SYSTEM = "https://zkelig.example/fhir/CodeSystem/refusal"
MAX_PLANS = 8
PATIENT = {"resourceType": "Patient", "id": "anonymous", "active": True}  # nobody: the proof names no one

# Not in the OpenAPI schema: FHIR clients discover the endpoint from its CapabilityStatement (/fhir/metadata),
# and its errors are OperationOutcomes, not the problem+json the rest of the API documents.
router = APIRouter(prefix="/fhir", tags=["fhir"], include_in_schema=False)


class FhirError(Exception):
    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


def outcome(status: int, code: str, diagnostics: str) -> JSONResponse:
    body = OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": diagnostics}]})
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, media_type=FHIR_JSON)


def _emit(model, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", exclude_none=True), status_code=status, media_type=FHIR_JSON)


async def _verifier(request: Request) -> str:
    """The verifier the Bearer key acts for (an OperationOutcome 401/403 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise FhirError(401, "login", "a verifier API key is required (Authorization: Bearer …)")
    principal = state_of(request.app).records.principal(key.strip())
    if principal is None:
        raise FhirError(401, "login", "unknown API key")
    if principal.role != "verifier":
        raise FhirError(403, "forbidden", "this needs a verifier's API key")
    return principal.subject


def _handled(handler):
    """Run a FHIR handler, answering every failure with an OperationOutcome."""
    import functools

    @functools.wraps(handler)
    async def run(*args, **kwargs):
        try:
            return await handler(*args, **kwargs)
        except FhirError as err:
            return outcome(err.status, err.code, err.diagnostics)
        except Problem as err:
            return outcome(err.status, "invalid" if err.status < 500 else "exception", err.detail)
        except Exception as err:  # noqa: BLE001 - a hospital system gets an OperationOutcome, never a trace
            from zkcore.errors import ZkError

            if isinstance(err, ZkError):
                return outcome(400, "invalid", str(err))
            raise

    return run


# --- metadata ---


@router.get("/metadata", responses={200: {"content": {FHIR_JSON: {}}}})
@_handled
async def metadata() -> JSONResponse:
    """What this FHIR endpoint supports."""
    statement = CapabilityStatement.model_validate({
        "resourceType": "CapabilityStatement", "status": "active", "date": dt.date.today().isoformat(),
        "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"], "publisher": "zkelig",
        "description": "Eligibility answered by zero-knowledge proofs: the patient proves coverage, a reimbursable "
                       "claim or a minimum age from their phone; no patient identifier exists.",
        "implementation": {"description": "zkelig FHIR eligibility edge"},
        "rest": [{"mode": "server",
                  "security": {"description": "Authorization: Bearer <the verifier's API key>"},
                  "resource": [{"type": "CoverageEligibilityRequest", "interaction": [{"code": "create"}]},
                               {"type": "CoverageEligibilityResponse", "interaction": [{"code": "read"}]}]}],
    })
    return _emit(statement)


# --- requests ---


def _extension(items, url: str):
    return [e for e in (items or []) if e.url == url]


def _issuer(parsed: CoverageEligibilityRequest, state) -> str:
    ref = parsed.insurer
    name = None
    if ref.identifier is not None and ref.identifier.value:
        name = ref.identifier.value
    elif ref.reference and ref.reference.startswith("Organization/"):
        name = ref.reference.split("/", 1)[1]
    if not name:
        raise FhirError(400, "required",
                        "insurer must name the issuer: identifier.value or reference Organization/<id>")
    state.ledger.refresh()
    if not state.ledger.has_issuer(name):
        raise FhirError(404, "not-found", f"unknown insurer {name!r}: no such issuer on this ledger")
    return name


def _money_cents(item) -> int:
    price = item.unitPrice
    if price is None or price.value is None:
        raise FhirError(400, "required", "a benefits item needs unitPrice (the claim amount)")
    if price.currency and price.currency != presets.CURRENCY:
        raise FhirError(400, "value", f"unitPrice must be in {presets.CURRENCY}")
    quantity = item.quantity.value if item.quantity is not None and item.quantity.value is not None else 1
    cents = price.value * quantity * 100
    if cents < 0 or cents != int(cents) or cents >= 2**64:
        raise FhirError(400, "value", "the claim amount must be a non-negative amount in whole cents")
    return int(cents)


def _preset(name: str, given: dict, today: dt.date, issuer: str, scope: str):
    """The preset's name, the request it builds and its parameters as stored beside the request."""
    preset = PRESETS[name]
    resolved = preset.resolve(given, today)
    return name, preset.build(resolved, today, [issuer], scope), preset.to_json(resolved)


def _build(parsed: CoverageEligibilityRequest, issuer: str, verifier: str, today: dt.date):
    """The preset, its parameters and the scope for a FHIR request."""
    purposes = set(parsed.purpose or [])
    min_age = _extension(parsed.extension, EXT_MIN_AGE)
    reference = parsed.identifier[0].value if parsed.identifier and parsed.identifier[0].value else None
    fresh = f"{verifier}/fhir/{secrets.token_hex(9)}"  # no one-use wanted: a scope of its own, unlinkable
    if min_age:
        years = min_age[0].valueUnsignedInt
        if years is None or not 0 <= years <= 150:
            raise FhirError(400, "value", "the minimum-age extension takes valueUnsignedInt 0..150")
        return _preset("age_at_least", {"years": years}, today, issuer, fresh)
    day = parsed.servicedDate
    if day is None:
        raise FhirError(400, "required", "servicedDate is required: the day coverage must be in force")
    if purposes == {"validation"}:
        return _preset("insured_on", {"day": day}, today, issuer, fresh)
    if purposes == {"benefits"} or purposes == {"benefits", "validation"}:
        if not parsed.item or len(parsed.item) != 1:
            raise FhirError(400, "value", "a benefits request carries exactly one item: the claim")
        item = parsed.item[0]
        plans = [e.valueUnsignedInt for e in _extension(item.extension, EXT_PLAN)]
        if not plans or len(plans) > MAX_PLANS or any(p is None for p in plans):
            raise FhirError(400, "required", f"a benefits item names 1..{MAX_PLANS} covered plans ({EXT_PLAN})")
        cents = _money_cents(item)
        # A claim is reimbursed once: the request's identifier (the claim number) makes its scope.
        scope = f"{verifier}/claims/{reference}" if reference else fresh
        return _preset("reimbursable", {"claim_cents": cents, "covered_plans": plans, "day": day}, today, issuer, scope)
    raise FhirError(400, "not-supported", "purpose must be validation, or benefits with one item "
                                         "(auth-requirements and discovery are not supported)")


@router.post("/CoverageEligibilityRequest", status_code=201, responses={201: {"content": {FHIR_JSON: {}}}})
@_handled
async def create(http: Request) -> JSONResponse:
    """Create the proof request behind a CoverageEligibilityRequest; the answer is queued until the patient
    answers from the link (extension request-link)."""
    verifier = await _verifier(http)
    state = state_of(http.app)
    try:
        raw = await http.json()
    except ValueError:
        raise FhirError(400, "structure", "the body is not JSON") from None
    if not isinstance(raw, dict) or raw.get("resourceType") != "CoverageEligibilityRequest":
        raise FhirError(400, "structure", "the body must be a FHIR CoverageEligibilityRequest resource")
    try:
        parsed = CoverageEligibilityRequest.model_validate(raw)
    except (ValidationError, ValueError) as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in getattr(err, "errors", lambda: [])()})
        raise FhirError(400, "structure", "invalid CoverageEligibilityRequest: "
                                          f"{', '.join(fields) or 'does not validate'}") from None
    if parsed.patient is None:  # required by R4; never read: the proof names no one
        raise FhirError(400, "required", "patient is required (a reference; nothing of it is read or kept)")
    if parsed.status != "active":
        raise FhirError(400, "value", "only an active request can be answered")
    issuer = _issuer(parsed, state)
    preset, request, params = _build(parsed, issuer, verifier, state.today())
    request = dataclasses.replace(request, q=state.settings.queries, m=state.settings.values)
    now = int(state.settings.clock() * 1000)
    about = {"preset": preset, "params": params, "expires_at_ms": now + int(state.settings.request_ttl_s * 1000),
             "fhir": {"purpose": list(parsed.purpose), "insurer": issuer,
                      "serviced": parsed.servicedDate.isoformat() if parsed.servicedDate else None}}
    request_id = state.records.save_request(verifier, {**request.to_json(), "about": about})
    view = request_view(state, request_id, state.records.load_request(request_id), base_url(state, http))
    return _emit(_response(view, about, None, expired=False), status=201)


# --- responses ---


def fhir_id(request_id: str) -> str:
    """A request id as a FHIR id ([A-Za-z0-9-.]): '_' becomes '.', which request ids never contain."""
    return request_id.replace("_", ".")


def request_id_of(resource_id: str) -> str:
    return resource_id.replace(".", "_")


def _response(view: dict, about: dict, decided: dict | None, expired: bool) -> CoverageEligibilityResponse:
    fhir = about.get("fhir", {})
    preset, params = about.get("preset"), about.get("params", {})
    created = dt.datetime.fromtimestamp(view["created_at_ms"] / 1000, dt.UTC).isoformat(timespec="seconds")
    body: dict = {
        "resourceType": "CoverageEligibilityResponse", "id": fhir_id(view["request_id"]), "status": "active",
        "contained": [PATIENT], "patient": {"reference": "#anonymous"},
        "purpose": fhir.get("purpose") or ["validation"], "created": created,
        "request": {"reference": f"CoverageEligibilityRequest/{fhir_id(view['request_id'])}"},
        "insurer": {"identifier": {"value": fhir.get("insurer") or view["request"]["issuers"][0]}},
        "extension": [{"url": EXT_LINK, "valueUrl": view["link"]}, {"url": EXT_QR, "valueUrl": view["qr_svg"]},
                      {"url": EXT_EXPIRES, "valueDateTime": view["expires_at"]}],
    }
    if fhir.get("serviced"):
        body["servicedDate"] = fhir["serviced"]
    question = _words(preset, params)
    if decided is None:
        body["outcome"] = "error" if expired else "queued"
        body["disposition"] = ("The request expired before the patient answered: " if expired else
                               "Waiting for the patient to answer from the link: ") + question
        if expired:
            body["error"] = [{"code": {"coding": [{"system": REFUSAL_SYSTEM, "code": "request_expired"}],
                                       "text": presets.refusal("request_expired", preset)}}]
        return CoverageEligibilityResponse.model_validate(body)
    receipt = decided["receipt"]
    digest = hashlib.sha256(_canonical(receipt["body"])).hexdigest()
    body["identifier"] = [{"system": RECEIPT_SYSTEM, "value": digest}]
    body["disposition"] = f"{question} " + ("Yes: proven by the patient." if decided["decision"] == "accepted"
                                            else f"Not accepted: {presets.refusal(decided['reason'], preset)}.")
    if decided["decision"] != "accepted":
        body["outcome"] = "error"
        body["error"] = [{"code": {"coding": [{"system": REFUSAL_SYSTEM, "code": decided["reason"]}],
                                   "text": presets.refusal(decided["reason"], preset)}}]
        return CoverageEligibilityResponse.model_validate(body)
    body["outcome"] = "complete"
    if preset in ("insured_on", "reimbursable"):
        insurance: dict = {"coverage": {"display": "coverage proven by the patient (zero-knowledge proof); "
                                                   "no member identifier"}, "inforce": True}
        if preset == "reimbursable":
            insurance["item"] = [{"excluded": False, "description": question,
                                  "benefit": [{"type": {"text": "claim covered under the plan's annual cap"},
                                               "allowedMoney": {"value": int(params["claim_cents"]) / 100,
                                                                "currency": presets.CURRENCY}}]}]
        body["insurance"] = [insurance]
    return CoverageEligibilityResponse.model_validate(body)


def _words(preset: str | None, params: dict) -> str:
    """The question in words, for `disposition` (the same wording as the pages)."""
    if preset == "age_at_least":
        return f"Is the patient {params['years']} or older?"
    if preset == "insured_on":
        return f"Is the patient insured on {_date(params['day'])}?"
    if preset == "reimbursable":
        plans = " or ".join(params["covered_plans"])
        return (f"Is a claim of {_money(int(params['claim_cents']))} on {_date(params['day'])} reimbursable "
                f"under plan {plans}?")
    return "Does the patient's credential answer the request?"


def _date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f} {presets.CURRENCY}"


@router.get("/CoverageEligibilityResponse/{response_id}", responses={200: {"content": {FHIR_JSON: {}}}})
@_handled
async def read(response_id: str, http: Request) -> JSONResponse:
    """The eligibility answer: queued until the patient answers, then complete (proven) or error (refused, or
    the request expired)."""
    verifier = await _verifier(http)
    state = state_of(http.app)
    if not 8 <= len(response_id) <= 64 or not all(c.isascii() and (c.isalnum() or c in "-.") for c in response_id):
        raise FhirError(404, "not-found", "no such CoverageEligibilityResponse")
    response_id = request_id_of(response_id)
    found = state.records.load_request(response_id)
    if found is None or found[0] != verifier or "fhir" not in found[1].get("about", {}):
        raise FhirError(404, "not-found", "no such CoverageEligibilityResponse for this verifier")
    view = request_view(state, response_id, found, base_url(state, http))
    decisions = state.events.decisions.for_request(response_id)
    accepted = [d for d in decisions if d["decision"] == "accepted"]
    decided = accepted[0] if accepted else (decisions[-1] if decisions else None)
    expired = state.settings.clock() * 1000 > expires_at_ms(found[1], found[2], state.settings.request_ttl_s)
    return _emit(_response(view, found[1]["about"], decided, expired))
