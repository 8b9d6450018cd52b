"""Request and response bodies of the HTTP API (pydantic): bounded sizes, strict shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$", description="an organisation id")]
Decimal = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="a field element in decimal")]
AttributeValue = int | dt.date


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssuerRegistration(Strict):
    name: Id
    public_key: Annotated[str, Field(min_length=43, max_length=44, description="Ed25519 public key, base64")]


class IssuerCreated(BaseModel):
    name: str
    log_index: int
    api_key: str


class ApiKeyRequest(Strict):
    role: Literal["issuer", "verifier", "auditor", "admin"]
    subject: Annotated[str, Field(max_length=63)] = ""


class ApiKeyCreated(BaseModel):
    role: str
    subject: str
    api_key: str


class CredentialOrder(Strict):
    schema_name: Annotated[str, Field(alias="schema", max_length=64)]
    id_commitment: Decimal
    attributes: Annotated[dict[str, AttributeValue], Field(max_length=8)]
    expiry: dt.date


class IssueRequest(Strict):
    credentials: Annotated[list[CredentialOrder], Field(min_length=1, max_length=1000)]


class IssuedCredential(BaseModel):
    credential: dict
    leaf_index: int
    log_index: int


class IssueResponse(BaseModel):
    issuer: str
    root: str
    credentials: list[IssuedCredential]


class RevocationRequest(Strict):
    leaf_index: Annotated[int, Field(ge=0, lt=2**32)]


class LogIndex(BaseModel):
    log_index: int


class QueryBody(Strict):
    slot: Annotated[int, Field(ge=0, le=7)]
    op: Literal["NOOP", "EQ", "NE", "LT", "LTE", "GT", "GTE", "IN", "NIN", "BETWEEN", "NOT_BETWEEN"]
    values: Annotated[list[Annotated[int, Field(ge=0, lt=2**64)]], Field(max_length=16)] = []


class PresetParams(Strict):
    years: Annotated[int, Field(ge=0, le=150)] | None = None
    day: dt.date | None = None
    covered_plans: Annotated[list[Annotated[int, Field(ge=0, lt=2**64)]], Field(min_length=1, max_length=8)] | None = None
    claim_cents: Annotated[int, Field(ge=0, lt=2**64)] | None = None


class ProofRequestCreate(Strict):
    scope: Annotated[str, Field(min_length=1, max_length=200)]
    issuers: Annotated[list[Id], Field(min_length=1, max_length=32)]
    preset: Literal["age_at_least", "insured_on", "reimbursable"] | None = None
    params: PresetParams = PresetParams()
    schema_name: Annotated[str | None, Field(alias="schema", max_length=64)] = None
    queries: Annotated[list[QueryBody], Field(max_length=16)] = []
    ttl_s: Annotated[int, Field(ge=10, le=7 * 86400, description="a shorter lifetime than the service's")] | None = None


class ProofRequestCreated(BaseModel):
    """A request as handed to a holder: service.handoff.request_view."""

    request_id: str
    verifier: str
    verifier_name: str
    preset: str | None
    params: dict
    request: dict
    answered: bool
    created_at_ms: int
    expires_at_ms: int
    expires_at: str
    link: str
    qr_svg: str


class SnarkjsProof(Strict):
    pi_a: Annotated[list[Decimal], Field(min_length=3, max_length=3)]
    pi_b: Annotated[list[Annotated[list[Decimal], Field(min_length=2, max_length=2)]], Field(min_length=3, max_length=3)]
    pi_c: Annotated[list[Decimal], Field(min_length=3, max_length=3)]
    protocol: Literal["groth16"] = "groth16"
    curve: Literal["bn128"] = "bn128"


class PresentationBody(Strict):
    issuer: Id
    proof: SnarkjsProof
    public_signals: Annotated[list[Decimal], Field(min_length=1, max_length=16)]


class SubmitPresentation(Strict):
    presentation: PresentationBody


class Receipt(BaseModel):
    body: dict
    signature: str
    key: str
    inclusion: dict | None = Field(None, description="accepted only: the ledger entry, its inclusion proof and a "
                                                       "signed head (GET /v1/ledger/receipts/{index} at decision time)")


class WalletCreate(Strict):
    passphrase: Annotated[str, Field(min_length=8, max_length=256)]


class WalletCreated(BaseModel):
    wallet_id: str
    id_commitment: str


class WalletUnlock(Strict):
    passphrase: Annotated[str, Field(min_length=8, max_length=256)]


class WalletCredential(Strict):
    passphrase: Annotated[str, Field(min_length=8, max_length=256)]
    credential: dict


class WalletCredentialStored(BaseModel):
    credential_id: str


class WalletProve(Strict):
    passphrase: Annotated[str, Field(min_length=8, max_length=256)]
    credential_id: Annotated[str, Field(max_length=64)]
    request_id: Annotated[str, Field(max_length=64)]


class MembershipPath(BaseModel):
    issuer: str
    leaf_index: int
    siblings: list[str]
    root: str
