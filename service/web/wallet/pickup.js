// One-time pickup links (service/pickups.py): `#pickup=<id>.<key>`. The id goes to the service, which
// hands back the ciphertext once; the key never leaves this page (browsers do not send a fragment).

import { api } from "/web/shared/api.js";
import { Refusal } from "./prove.js";

const AAD = new TextEncoder().encode("zkelig-pickup-v1");

function bytes(base64) {
  const text = base64.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The credential JSON behind a pickup fragment ("<id>.<key>"); the link works once. */
export async function collectPickup(fragment) {
  const [id, key] = fragment.split(".");
  if (!id || !key || !/^[A-Za-z0-9_-]{16,64}$/.test(id) || !/^[A-Za-z0-9_-]{43}$/.test(key)) {
    throw new Refusal("This pickup link is incomplete. Copy the whole link the issuer gave you.");
  }
  const { ciphertext } = await api(`/v1/pickups/${id}/collect`, { method: "POST" });
  const sealed = bytes(ciphertext);
  const aesKey = await crypto.subtle.importKey("raw", bytes(key), "AES-GCM", false, ["decrypt"]);
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.slice(0, 12), additionalData: AAD },
      aesKey, sealed.slice(12));
  } catch {
    throw new Refusal("This pickup link does not open its credential: the link was altered. Ask the issuer again.");
  }
  return JSON.parse(new TextDecoder().decode(plain));
}
