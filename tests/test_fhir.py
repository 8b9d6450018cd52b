"""The FHIR R4 edge against a real `zkelig serve --workers 2`: each purpose, an age check, a missing
servicedDate, an unknown insurer, bodies that are not FHIR, no key; every answer validates against the
fhir.resources models; requests followed to complete (and to error) through real proofs."""

import hashlib

import httpx
import pytest
from desk_world import TODAY
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

from service.routers.fhir import EXT_LINK, EXT_MIN_AGE, EXT_PLAN, RECEIPT_SYSTEM
from service.verification import _canonical

FHIR = "application/fhir+json"


@pytest.fixture
def world(desk_world):
    return desk_world


def fhir(world, method, path, body=None, key=None, content=None):
    headers = {"Content-Type": FHIR, "Accept": FHIR}
    if key is not False:
        headers["Authorization"] = f"Bearer {key or world.hospital_key}"
    return httpx.request(method, world.url + "/fhir" + path, json=body, content=content, headers=headers, timeout=60)


def eligibility(purpose, insurer="insurer-a", serviced=TODAY, **extra):
    body = {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": purpose,
        "patient": {"reference": "Patient/123", "identifier": {"value": "MRN-0001"}},
        "created": TODAY.isoformat(),
        "insurer": {"identifier": {"value": insurer}},
        **extra,
    }
    if serviced is not None:
        body["servicedDate"] = serviced.isoformat()
    return body


def claim_item(amount="1250.00", plans=(7, 9)):
    return {
        "productOrService": {"text": "knee MRI"},
        "unitPrice": {"value": amount, "currency": "EUR"},
        "extension": [{"url": EXT_PLAN, "valueUnsignedInt": p} for p in plans],
    }


def response_of(reply) -> CoverageEligibilityResponse:
    assert reply.headers["content-type"].startswith(FHIR), reply.text
    return CoverageEligibilityResponse.model_validate(reply.json())


def problem_of(reply, status) -> OperationOutcome:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(FHIR) and "Traceback" not in reply.text
    outcome = OperationOutcome.model_validate(reply.json())
    assert outcome.issue[0].severity == "error" and outcome.issue[0].diagnostics
    return outcome


def link_of(response: CoverageEligibilityResponse) -> str:
    return next(e.valueUrl for e in response.extension if e.url == EXT_LINK)


def test_metadata_is_a_capability_statement(world):
    reply = fhir(world, "GET", "/metadata", key=False)
    statement = CapabilityStatement.model_validate(reply.json())
    kinds = {r.type: [i.code for i in r.interaction] for r in statement.rest[0].resource}
    assert kinds == {"CoverageEligibilityRequest": ["create"], "CoverageEligibilityResponse": ["read"]}


def test_validation_is_queued_then_complete_through_a_real_proof(world):
    reply = fhir(world, "POST", "/CoverageEligibilityRequest", eligibility(["validation"]))
    assert reply.status_code == 201
    queued = response_of(reply)
    assert queued.outcome == "queued" and queued.patient.reference == "#anonymous"
    assert queued.contained[0].get_resource_type() == "Patient" and "MRN-0001" not in reply.text
    assert queued.insurer.identifier.value == "insurer-a" and "Waiting for the patient" in queued.disposition
    link = link_of(queued)
    assert link.startswith(world.url + "/wallet#request=")
    request_id = link.split("#request=")[1]
    assert response_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{queued.id}")).outcome == "queued"
    receipt = world.holder.present(request_id, world.prove(world.insurance, request_id))
    done = response_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{queued.id}"))
    assert done.outcome == "complete" and done.insurance[0].inforce is True and done.insurance[0].item is None
    assert done.identifier[0].system == RECEIPT_SYSTEM
    assert done.identifier[0].value == hashlib.sha256(_canonical(receipt["body"])).hexdigest()
    assert "Is the patient insured on" in done.disposition and "Yes" in done.disposition


def test_benefits_claim_complete_then_the_same_claim_refused(world):
    body = eligibility(["benefits"], item=[claim_item()], identifier=[{"value": "claim-0042"}])
    first = response_of(fhir(world, "POST", "/CoverageEligibilityRequest", body))
    rid = link_of(first).split("#request=")[1]
    world.holder.present(rid, world.prove(world.insurance, rid))
    done = response_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{first.id}"))
    item = done.insurance[0].item[0]
    assert done.outcome == "complete" and item.excluded is False
    assert float(item.benefit[0].allowedMoney.value) == 1250.0 and item.benefit[0].allowedMoney.currency == "EUR"
    assert "1,250.00 EUR" in done.disposition
    again = response_of(fhir(world, "POST", "/CoverageEligibilityRequest", body))  # the same claim number
    rid = link_of(again).split("#request=")[1]
    world.holder.present(rid, world.prove(world.insurance, rid))
    refused = response_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{again.id}"))
    assert refused.outcome == "error" and refused.insurance is None
    assert refused.error[0].code.coding[0].code == "nullifier_reused"
    assert refused.error[0].code.text == "this claim was already reimbursed"


def test_age_check_by_extension(world):
    body = eligibility(
        ["validation"],
        insurer="civil-registry",
        serviced=None,
        extension=[{"url": EXT_MIN_AGE, "valueUnsignedInt": 18}],
    )
    queued = response_of(fhir(world, "POST", "/CoverageEligibilityRequest", body))
    rid = link_of(queued).split("#request=")[1]
    assert world.holder.request_view(rid)["params"] == {"years": 18}
    world.holder.present(rid, world.prove(world.person, rid))
    done = response_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{queued.id}"))
    assert done.outcome == "complete" and done.insurance is None and "18 or older" in done.disposition


@pytest.mark.parametrize(
    "body, status, words",
    [
        (eligibility(["validation"], serviced=None), 400, "servicedDate is required"),
        (eligibility(["validation"], insurer="insurer-nobody"), 404, "unknown insurer"),
        (eligibility(["benefits"]), 400, "exactly one item"),
        (eligibility(["benefits"], item=[claim_item(plans=())]), 400, "covered plans"),
        (
            eligibility(["benefits"], item=[{**claim_item(), "unitPrice": {"value": "1.234", "currency": "EUR"}}]),
            400,
            "whole cents",
        ),
        (
            eligibility(["benefits"], item=[{**claim_item(), "unitPrice": {"value": "10", "currency": "USD"}}]),
            400,
            "EUR",
        ),
        (eligibility(["discovery"]), 400, "purpose must be"),
        (eligibility(["validation"], status="cancelled"), 400, "active"),
        (eligibility(["validation"], extension=[{"url": EXT_MIN_AGE, "valueUnsignedInt": 999}]), 400, "minimum-age"),
        ({**eligibility(["validation"]), "patient": None}, 400, "patient"),
        ({**eligibility(["validation"]), "servicedDate": "not a date"}, 400, "servicedDate"),
        ({"resourceType": "Patient", "id": "x"}, 400, "CoverageEligibilityRequest"),
        ({"hello": "world"}, 400, "CoverageEligibilityRequest"),
        ([1, 2, 3], 400, "CoverageEligibilityRequest"),
    ],
)
def test_invalid_requests_get_an_operation_outcome(world, body, status, words):
    outcome = problem_of(fhir(world, "POST", "/CoverageEligibilityRequest", body), status)
    assert words in outcome.issue[0].diagnostics


def test_not_json_no_key_wrong_key_and_unknown_ids(world):
    problem_of(fhir(world, "POST", "/CoverageEligibilityRequest", content=b"<xml/>"), 400)
    problem_of(fhir(world, "POST", "/CoverageEligibilityRequest", eligibility(["validation"]), key=False), 401)
    problem_of(fhir(world, "POST", "/CoverageEligibilityRequest", eligibility(["validation"]), key="zk_nope"), 401)
    other = world.admin.create_key("verifier", "hospital-z")
    queued = response_of(fhir(world, "POST", "/CoverageEligibilityRequest", eligibility(["validation"])))
    problem_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{queued.id}", key=other), 404)  # not its request
    problem_of(fhir(world, "GET", "/CoverageEligibilityResponse/unknown-id-123"), 404)
    problem_of(fhir(world, "GET", "/CoverageEligibilityResponse/x"), 404)
    plain = world.hospital.create_request(
        "hospital-a", "hospital-a/visits", ["civil-registry"], "age_at_least", years=18
    )
    problem_of(fhir(world, "GET", f"/CoverageEligibilityResponse/{plain['request_id']}"), 404)  # not a FHIR request


def test_expired_request_reads_as_error(world):
    """The state a request reaches when its lifetime ends unanswered (rendered directly: waiting out the
    service's lifetime would take minutes)."""
    from service.routers.fhir import _response

    queued = fhir(world, "POST", "/CoverageEligibilityRequest", eligibility(["validation"])).json()
    view = world.holder.request_view(link_of(CoverageEligibilityResponse.model_validate(queued)).split("#request=")[1])
    about = {
        "preset": view["preset"],
        "params": view["params"],
        "fhir": {"purpose": ["validation"], "insurer": "insurer-a", "serviced": TODAY.isoformat()},
    }
    expired = CoverageEligibilityResponse.model_validate(
        _response(view, about, None, expired=True).model_dump(mode="json")
    )
    assert expired.outcome == "error" and expired.error[0].code.coding[0].code == "request_expired"
    assert expired.disposition.startswith("The request expired before the patient answered")
