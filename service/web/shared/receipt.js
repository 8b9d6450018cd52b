// Checking a receipt's Ed25519 signature in the browser (WebCrypto), against the ledger key the service
// announces. The service signs the receipt body's canonical JSON: keys sorted, no spaces, non-ASCII
// written as \uXXXX (Python's json.dumps(sort_keys=True, separators=(",", ":"))).

import { api } from "./api.js";

export function canonicalJson(value) {
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g,
      (c) => (c === "\u007f" ? c : "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")));
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => canonicalJson(k) + ":" + canonicalJson(value[k])).join(",") + "}";
}

function base64Bytes(text) {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

let ledgerKey = null;

async function key() {
  if (!ledgerKey) {
    const announced = await api("/v1/ledger/key");
    ledgerKey = crypto.subtle.importKey("raw", base64Bytes(announced.public_key), { name: "Ed25519" }, false, ["verify"]);
  }
  return ledgerKey;
}

// true when the ledger key signed this receipt's body; false when it did not (or cannot be checked here)
export async function receiptSignatureValid(receipt) {
  if (!globalThis.crypto || !crypto.subtle) return false;
  try {
    const message = new TextEncoder().encode(canonicalJson(receipt.body));
    return await crypto.subtle.verify({ name: "Ed25519" }, await key(), base64Bytes(receipt.signature), message);
  } catch {
    return false;
  }
}
