"""The client SDK (httpx): what the demo and tests use, and what a phone app, a hospital system or a
regulator's tooling would call. Errors come back as ApiError with the problem's stable code."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence

import httpx

from circuits import credentials as cr
from circuits.requests import Presentation, ProofRequest, prove_request
from zkcore.groth16 import ProvingKey
from zkcore.merkle.poseidon_tree import MerklePath


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__}")


class ZkeligClient:
    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def with_key(self, api_key: str) -> ZkeligClient:
        return ZkeligClient(str(self.http.base_url), api_key, self.http.timeout.read, self.http._transport)

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
        if response.headers.get("content-type", "").startswith("text/plain"):
            return response.text
        return response.json()

    # --- admin ---

    def create_key(self, role: str, subject: str = "") -> str:
        return self._call("POST", "/v1/admin/keys", {"role": role, "subject": subject})["api_key"]

    def register_issuer(self, name: str, public_key: bytes) -> dict:
        return self._call("POST", "/v1/issuers", {"name": name, "public_key": base64.b64encode(public_key).decode()})

    # --- issuers ---

    def issue(self, issuer: str, orders: Sequence[dict]) -> dict:
        """orders: {"schema", "id_commitment", "attributes", "expiry"} each; dates as datetime.date."""
        return self._call("POST", f"/v1/issuers/{issuer}/credentials", {"credentials": list(orders)})

    def revoke(self, issuer: str, leaf_index: int) -> int:
        return self._call("POST", f"/v1/issuers/{issuer}/revocations", {"leaf_index": leaf_index})["log_index"]

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

    def create_request(self, verifier: str, scope: str, issuers: Sequence[str], preset: str | None = None,
                       ttl_s: int | None = None, **params) -> dict:
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
