"""The client SDK (httpx): what the demo and tests use, and what a phone app, a hospital system or a
regulator's tooling would call. Errors come back as ApiError with the problem's stable code."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Sequence

import httpx

from circuits import credentials as cr
from circuits.requests import Presentation, ProofRequest, prove_request
from zkcore.groth16 import ProvingKey
from zkcore.merkle.poseidon_tree import Frontier, MerklePath

from .ledger.statements import IssuerKey

STALE_RETRIES = 3  # another issuance of the same issuer landed between our frontier read and our write


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def credential_from_order(issuer: str, order: dict) -> cr.Credential:
    """The issuer's side of issuance: the credential for one order {"schema", "id_commitment",
    "attributes", "expiry"} (dates as datetime.date or ISO text), with a fresh nonce."""
    schema = cr.schema(order["schema"])
    values = {
        name: _date(v) if schema.kind(name) is cr.AttributeKind.DATE else v for name, v in order["attributes"].items()
    }
    return cr.issue(schema, issuer, int(order["id_commitment"]), values, _date(order["expiry"]))


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__}")


class ZkeligClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        issuer_key: IssuerKey | None = None,
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)
        self.issuer_key = issuer_key  # an issuer's signing key: it signs here and never leaves this process

    def with_key(self, api_key: str, issuer_key: IssuerKey | None = None) -> ZkeligClient:
        return ZkeligClient(str(self.http.base_url), api_key, self.http.timeout.read, self.http._transport, issuer_key)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: dict | None = None, params: dict | None = None):
        content = None if body is None else json.dumps(body, default=_json_default)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        response = self.http.request(method, path, content=content, params=params, headers=headers)
        if response.status_code >= 400:
            try:
                problem = response.json()
                raise ApiError(response.status_code, problem.get("code", "error"), problem.get("detail", ""))
            except ValueError:
                raise ApiError(response.status_code, "error", response.text[:200]) from None
        if response.status_code == 204:
            return None
        if response.headers.get("content-type", "").startswith("text/plain"):
            return response.text
        return response.json()

    # --- admin ---

    def create_key(self, role: str, subject: str = "") -> str:
        return self._call("POST", "/v1/admin/keys", {"role": role, "subject": subject})["api_key"]

    def list_keys(self) -> list[dict]:
        """Every API key's id, role, subject and created_ms (never the key)."""
        return self._call("GET", "/v1/admin/keys")["keys"]

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/v1/admin/keys/{key_id}")

    def register_scope(self, name: str, members: Sequence[str]) -> dict:
        """A shared scope (e.g. insurance-enrolment/2026) in which only these verifiers may ask."""
        return self._call("POST", "/v1/admin/scopes", {"name": name, "members": list(members)})

    def scopes(self) -> list[dict]:
        return self._call("GET", "/v1/scopes")["scopes"]

    def register_issuer(self, name: str, public_key: bytes) -> dict:
        return self._call("POST", "/v1/issuers", {"name": name, "public_key": base64.b64encode(public_key).decode()})

    def enrol_issuer(self, name: str, issuer_key: IssuerKey | None = None) -> ZkeligClient:
        """Register an issuer (admin) and return a client acting for it, holding its signing key."""
        issuer_key = issuer_key or IssuerKey.generate()
        return self.with_key(self.register_issuer(name, issuer_key.public_key)["api_key"], issuer_key)

    # --- issuers ---

    def _signing_key(self) -> IssuerKey:
        if self.issuer_key is None:
            raise ValueError(
                "issuing needs the issuer's signing key: ZkeligClient(..., issuer_key=IssuerKey.load(path))"
            )
        return self.issuer_key

    def frontier(self, issuer: str) -> dict:
        """The issuer tree's state to sign against: origin, size, root, frontier, key and rotation count."""
        body = self._call("GET", f"/v1/ledger/issuers/{issuer}/frontier")
        return {**body, "frontier": Frontier.from_bytes(base64.b64decode(body["frontier"]))}

    def issue(self, issuer: str, orders: Sequence[dict]) -> dict:
        """Issue credentials: each order {"schema", "id_commitment", "attributes", "expiry"} becomes a leaf
        computed here, and the leaves are signed here; only leaves and the signature reach the service.

        Returns the issuer, its new root and, per order, what the holder keeps (credential, leaf index)."""
        key = self._signing_key()
        credentials = [credential_from_order(issuer, order) for order in orders]
        leaves = [c.leaf for c in credentials]
        for attempt in range(STALE_RETRIES):
            state = self.frontier(issuer)
            signed = key.sign_issuance(state["origin"], issuer, state["frontier"], leaves)
            body = {
                "first_leaf": signed.first_leaf,
                "leaves": [str(x) for x in leaves],
                "root": str(signed.root),
                "signature": base64.b64encode(signed.signature).decode(),
            }
            try:
                placed = self._call("POST", f"/v1/issuers/{issuer}/credentials", body)
                break
            except ApiError as err:
                if err.code != "stale_statement" or attempt == STALE_RETRIES - 1:
                    raise
        issued = [
            {"credential": dataclasses.replace(c, leaf_index=p["leaf_index"]).to_json(), **p}
            for c, p in zip(credentials, placed["placed"])
        ]
        return {"issuer": issuer, "root": placed["root"], "credentials": issued}

    def create_pickup(self, issuer: str, credential: dict) -> str:
        """Seal `credential` for its holder and return the one-time link (the key is in its fragment)."""
        from .pickups import pickup_link, seal_pickup

        ciphertext, key = seal_pickup(credential)
        pickup_id = self._call("POST", f"/v1/issuers/{issuer}/pickups", {"ciphertext": ciphertext})["pickup_id"]
        return pickup_link(str(self.http.base_url), pickup_id, key)

    def revoke(self, issuer: str, leaf_index: int) -> int:
        """Revoke a leaf, signing the root the issuer's tree has without it."""
        key = self._signing_key()
        origin = self.frontier(issuer)["origin"]
        root, signature = key.sign_revocation(origin, issuer, self.path(issuer, leaf_index))
        body = {"leaf_index": leaf_index, "root": str(root), "signature": base64.b64encode(signature).decode()}
        return self._call("POST", f"/v1/issuers/{issuer}/revocations", body)["log_index"]

    def rotate_issuer_key(self, issuer: str, new_key: IssuerKey) -> int:
        """Replace the issuer's key (signed by the current one); this client signs with the new key after."""
        state = self.frontier(issuer)
        rotation = state["rotation"] + 1
        signature = self._signing_key().sign_rotation(state["origin"], issuer, rotation, new_key.public_key)
        body = {
            "rotation": rotation,
            "public_key": base64.b64encode(new_key.public_key).decode(),
            "signature": base64.b64encode(signature).decode(),
        }
        index = self._call("POST", f"/v1/issuers/{issuer}/keys", body)["log_index"]
        self.issuer_key = new_key
        return index

    # --- holders ---

    def create_wallet(self, passphrase: str) -> dict:
        return self._call("POST", "/v1/holders/wallets", {"passphrase": passphrase})

    def open_wallet(self, wallet_id: str, passphrase: str) -> dict:
        return self._call("POST", f"/v1/holders/wallets/{wallet_id}/open", {"passphrase": passphrase})

    def store_credential(self, wallet_id: str, passphrase: str, credential: dict) -> str:
        body = {"passphrase": passphrase, "credential": credential}
        return self._call("POST", f"/v1/holders/wallets/{wallet_id}/credentials", body)["credential_id"]

    def prove_with_wallet(self, wallet_id: str, passphrase: str, credential_id: str, request_id: str) -> dict:
        body = {"passphrase": passphrase, "credential_id": credential_id, "request_id": request_id}
        return self._call("POST", f"/v1/holders/wallets/{wallet_id}/presentations", body)["presentation"]

    def path(self, issuer: str, leaf_index: int) -> MerklePath:
        body = self._call("GET", f"/v1/ledger/issuers/{issuer}/paths/{leaf_index}")
        return MerklePath(leaf_index, tuple(int(s) for s in body["siblings"]))

    def request(self, request_id: str) -> ProofRequest:
        return ProofRequest.from_json(self._call("GET", f"/v1/requests/{request_id}")["request"])

    def request_view(self, request_id: str) -> dict:
        """The request as a wallet shows it: preset, parameters, verifier name, ISO expiry, link."""
        return self._call("GET", f"/v1/requests/{request_id}")

    def present(self, request_id: str, presentation: dict | Presentation) -> dict:
        """Answer a request holding only its link (no API key): the signed receipt."""
        if isinstance(presentation, Presentation):
            presentation = presentation.to_json()
        return self._call("POST", f"/v1/requests/{request_id}/presentations", {"presentation": presentation})

    def prove_on_device(self, credential: cr.Credential, secret: int, request_id: str, pk: ProvingKey) -> dict:
        """Prove locally (the secret never leaves the device); only the path and request are fetched."""
        path = self.path(credential.issuer, credential.leaf_index)
        return prove_request(credential, secret, path, self.request(request_id), pk).to_json()

    # --- verifiers ---

    def create_request(
        self,
        verifier: str,
        scope: str,
        issuers: Sequence[str],
        preset: str | None = None,
        ttl_s: int | None = None,
        **params,
    ) -> dict:
        """A request (with its link, QR code and words); `ttl_s` shortens its lifetime."""
        body: dict = {"scope": scope, "issuers": list(issuers)}
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        if preset:
            body["preset"], body["params"] = preset, params
        else:
            body["schema"], body["queries"] = params["schema"], params["queries"]
        return self._call("POST", f"/v1/verifiers/{verifier}/requests", body)

    def submit(self, verifier: str, request_id: str, presentation: dict | Presentation) -> dict:
        if isinstance(presentation, Presentation):
            presentation = presentation.to_json()
        body = {"presentation": presentation}
        return self._call("POST", f"/v1/verifiers/{verifier}/requests/{request_id}/presentations", body)

    def set_profile(self, verifier: str, display_name: str, webhook_url: str | None = None) -> dict:
        """Display name and webhook; the answer holds the webhook's HMAC secret (shown only here)."""
        body = {"display_name": display_name, "webhook_url": webhook_url}
        return self._call("PUT", f"/v1/verifiers/{verifier}/profile", body)

    def decisions(self, verifier: str, since_ms: int = 0, limit: int = 50) -> list[dict]:
        params = {"since_ms": since_ms, "limit": limit}
        return self._call("GET", f"/v1/verifiers/{verifier}/decisions", params=params)["decisions"]

    def verify_receipt(self, receipt: dict, public_key: bytes | None = None):
        """Check a receipt offline (signature; if accepted, inclusion proof and signed head) and return its
        CheckedReceipt; raises InvalidProof or InvalidEncoding. Without `public_key` the service's announced
        key is used (trust on first use: pin the key to check receipts independently of the service)."""
        from .receipts import check_receipt

        key = public_key if public_key is not None else base64.b64decode(self.ledger_key()["public_key"])
        return check_receipt(receipt, key)

    # --- ledger and keys ---

    def ledger_key(self) -> dict:
        return self._call("GET", "/v1/ledger/key")

    def ledger_key_bytes(self) -> bytes:
        return base64.b64decode(self.ledger_key()["public_key"])

    def head(self) -> dict:
        return self._call("GET", "/v1/ledger/head")

    def checkpoints(self, after: int = -1) -> list[str]:
        return self._call("GET", "/v1/ledger/heads", params={"after": after})["checkpoints"]

    def entries(self, start: int, end: int) -> list[bytes]:
        body = self._call("GET", "/v1/ledger/entries", params={"start": start, "end": end})
        return [base64.b64decode(x) for x in body["entries"]]

    def consistency(self, first: int, second: int) -> list[bytes]:
        body = self._call("GET", "/v1/ledger/proofs/consistency", params={"first": first, "second": second})
        return [base64.b64decode(x) for x in body["proof"]]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        body = self._call("GET", "/v1/ledger/proofs/inclusion", params={"index": index, "size": size})
        return [base64.b64decode(x) for x in body["proof"]]

    def receipt(self, index: int) -> dict:
        return self._call("GET", f"/v1/ledger/receipts/{index}")

    def roots(self, issuer: str) -> dict:
        return self._call("GET", f"/v1/ledger/issuers/{issuer}/roots")

    def nullifier(self, scope: str, value: int) -> dict:
        return self._call("GET", "/v1/ledger/nullifiers", params={"scope": scope, "value": str(value)})

    def statistics(self) -> dict:
        return self._call("GET", "/v1/ledger/statistics")

    def circuits(self) -> list[dict]:
        return self._call("GET", "/v1/keys")["circuits"]

    def verification_key(self, circuit: str) -> dict:
        return self._call("GET", f"/v1/keys/{circuit}/verification_key.json")


class ApiAuditSource:
    """zkelig audit's view of a running service (service.ledger.audit.AuditSource)."""

    def __init__(self, base_url: str, client: ZkeligClient | None = None):
        self.client = client or ZkeligClient(base_url)
        self._heads: list[str] | None = None

    def public_key(self) -> bytes:
        """The key the service announces (trust on first use; pass --public-key to pin it)."""
        return base64.b64decode(self.client.ledger_key()["public_key"])

    def heads(self) -> list[str]:
        out: list[str] = []
        while True:
            page = self.client.checkpoints(after=int(out[-1].split("\n")[1]) if out else -1)
            if not page:
                break
            out.extend(page)
        self._heads = out
        return out

    def size(self) -> int:
        heads = self._heads if self._heads is not None else self.heads()
        return int(heads[-1].split("\n")[1]) if heads else 0

    def entries(self, start: int, end: int) -> list[bytes]:
        out: list[bytes] = []
        for first in range(start, end, 1000):
            out.extend(self.client.entries(first, min(end, first + 1000)))
        return out

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self.client.consistency(size1, size2)
