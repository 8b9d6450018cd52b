"""Request and response bodies of the HTTP API (pydantic): bounded sizes, strict shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, create_model

from circuits.credential_query import Op
from circuits.requests import PRESETS, PresetParam

from .ledger.entries import ID_PATTERN
from .records import MINTABLE_ROLES

Id = Annotated[str, Field(pattern=f"^{ID_PATTERN.pattern}$", description="an organisation id")]
Decimal = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="a field element in decimal")]


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
    role: Literal[MINTABLE_ROLES] = Field(
        description="the API mints no admin keys: the only admin key is ZKELIG_ADMIN_KEY"
    )
    subject: Annotated[str, Field(max_length=63)] = ""


class ApiKeyInfo(BaseModel):
    id: str
    role: str
    subject: str
    created_ms: int


class ApiKeyList(BaseModel):
    keys: list[ApiKeyInfo]


ScopeName = Annotated[
    str,
    Field(
        pattern=f"^{ID_PATTERN.pattern}" + r"/[^/\x00-\x1f][^\x00-\x1f]{0,135}$",
        description="a shared scope: <namespace>/<name>, e.g. insurance-enrolment/2026",
    ),
]


class SharedScope(Strict):
    name: ScopeName
    members: Annotated[list[Id], Field(min_length=1, max_length=100, description="the verifiers that may ask in it")]


class SharedScopeInfo(BaseModel):
    name: str
    members: list[str]


class SharedScopeList(BaseModel):
    scopes: list[SharedScopeInfo]


class ApiKeyCreated(BaseModel):
    role: str
    subject: str
    api_key: str


Signature = Annotated[str, Field(min_length=86, max_length=88, description="Ed25519 signature, base64")]


class SignedLeaves(Strict):
    """New credential leaves, signed by the issuer (service.ledger.statements: issuance)."""

    first_leaf: Annotated[int, Field(ge=0, lt=2**32, description="the issuer tree's next leaf index")]
    leaves: Annotated[list[Decimal], Field(min_length=1, max_length=1000)]
    root: Annotated[Decimal, Field(description="the issuer tree's root after these leaves")]
    signature: Signature


class PlacedLeaf(BaseModel):
    leaf_index: int
    log_index: int


class IssueResponse(BaseModel):
    issuer: str
    root: str
    placed: list[PlacedLeaf]


class RevocationRequest(Strict):
    """A revocation, signed by the issuer (service.ledger.statements: revocation)."""

    leaf_index: Annotated[int, Field(ge=0, lt=2**32)]
    root: Annotated[Decimal, Field(description="the issuer tree's root once this leaf is 0")]
    signature: Signature


class KeyRotation(Strict):
    """The issuer's next key, signed by its current key (service.ledger.statements: key)."""

    rotation: Annotated[int, Field(ge=1, lt=2**32, description="this rotation's number, counted from 1")]
    public_key: Annotated[str, Field(min_length=43, max_length=44, description="Ed25519 public key, base64")]
    signature: Signature


class LogIndex(BaseModel):
    log_index: int


# Numbers in proof requests are JSON integers: "18" or 18.0 or true is refused, not coerced.
SlotValue = Annotated[StrictInt, Field(ge=0, lt=2**64)]


class QueryBody(Strict):
    slot: Annotated[StrictInt, Field(ge=0, le=7)]
    op: Literal[tuple(Op.__members__)]  # the circuit's operators, by name
    values: Annotated[list[SlotValue], Field(max_length=16)] = []


def _param_type(param: PresetParam) -> object:
    """The JSON shape of a preset parameter of this kind (circuits.requests.PresetParam)."""
    if param.kind == "integer":
        return Annotated[StrictInt, Field(ge=param.min, le=param.max)]
    if param.kind == "date":
        return dt.date
    if param.kind == "money":
        return SlotValue
    if param.kind == "codes":
        return Annotated[list[SlotValue], Field(min_length=1, max_length=param.max_items)]
    raise ValueError(f"preset parameter {param.name} has unknown kind {param.kind!r}")


def _preset_params() -> type[Strict]:
    """Every preset's parameters, all optional here (the router says which preset needs which)."""
    fields: dict[str, tuple] = {}
    for preset in PRESETS.values():
        for param in preset.params:
            shape = (_param_type(param) | None, None)
            if fields.setdefault(param.name, shape) != shape:
                raise ValueError(f"presets disagree on parameter {param.name}")
    return create_model("PresetParams", __base__=Strict, **fields)


PresetParams = _preset_params()


class ProofRequestCreate(Strict):
    scope: Annotated[str, Field(min_length=1, max_length=200)]
    issuers: Annotated[list[Id], Field(min_length=1, max_length=32)]
    preset: Literal[tuple(PRESETS)] | None = None
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
    pi_b: Annotated[
        list[Annotated[list[Decimal], Field(min_length=2, max_length=2)]], Field(min_length=3, max_length=3)
    ]
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
    inclusion: dict | None = Field(
        None,
        description="accepted only: the ledger entry, its inclusion proof and a "
        "signed head (GET /v1/ledger/receipts/{index} at decision time)",
    )


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
