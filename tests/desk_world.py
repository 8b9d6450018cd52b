"""A small world on a running service for desk, hand-off and FHIR tests: a civil registry and an insurer, a
hospital verifier, and a holder who keeps her secret on the device (proofs come from the Python SDK's
prove_on_device; the wallet page is tested on its own)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from circuits import credentials as cr
from service.client import ZkeligClient

TODAY = dt.date.today()
PLAN = 7
CAP_CENTS = 500_000


@dataclass
class World:
    url: str
    admin: ZkeligClient
    hospital: ZkeligClient
    hospital_key: str
    holder: ZkeligClient
    secret: int
    person: cr.Credential
    insurance: cr.Credential
    pk: object

    def prove(self, credential: cr.Credential, request_id: str) -> dict:
        return self.holder.prove_on_device(credential, self.secret, request_id, self.pk)


def build_world(server, pk, verifier: str = "hospital-a") -> World:
    admin = server.admin()
    registry = admin.with_key(admin.register_issuer("civil-registry", os.urandom(32))["api_key"])
    insurer = admin.with_key(admin.register_issuer("insurer-a", os.urandom(32))["api_key"])
    hospital_key = admin.create_key("verifier", verifier)
    hospital = admin.with_key(hospital_key)
    secret = cr.new_secret()
    commitment = str(cr.id_commitment(secret))
    person = registry.issue("civil-registry", [{
        "schema": "person.v1", "id_commitment": commitment, "expiry": TODAY + dt.timedelta(days=3650),
        "attributes": {"birthdate": dt.date(1990, 5, 12), "country": 250}}])["credentials"][0]["credential"]
    insurance = insurer.issue("insurer-a", [{
        "schema": "insurance.v1", "id_commitment": commitment, "expiry": TODAY + dt.timedelta(days=365),
        "attributes": {"plan": PLAN, "insured_from": TODAY - dt.timedelta(days=30),
                       "insured_until": TODAY + dt.timedelta(days=300), "annual_cap_cents": CAP_CENTS,
                       "region": 11}}])["credentials"][0]["credential"]
    return World(server.url, admin, hospital, hospital_key, ZkeligClient(server.url), secret,
                 cr.Credential.from_json(person), cr.Credential.from_json(insurance), pk)
