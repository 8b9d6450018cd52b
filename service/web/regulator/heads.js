// Signed heads checked in the browser: the checkpoint's Ed25519 signature (C2SP signed note, see
// service/ledger/checkpoint.py) and the RFC 6962 consistency proof from the last head this browser
// verified. Plain ES module, WebCrypto only; the regulator page keeps the last verified head in
// localStorage so each visit proves that the log only grew since the previous one.

const SIGNATURE_PREFIX = "\u2014 "; // an em dash and a space
const encoder = new TextEncoder();

export class HeadError extends Error {
  constructor(message) {
    super(message);
    this.name = "HeadError";
  }
}

function b64decode(text, what) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new HeadError(`${what} is not base64`);
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function b64encode(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// parseCheckpoint(text) → {origin, size (BigInt), root, timestampMs, keyName, signature, body}; canonical form only.
export function parseCheckpoint(text) {
  if (typeof text !== "string") throw new HeadError("a checkpoint is text");
  const split = text.indexOf("\n\n");
  if (split < 0) throw new HeadError("a checkpoint has a body, a blank line and a signature");
  const body = text.slice(0, split + 1);
  const lines = body.slice(0, -1).split("\n");
  const sigLine = text.slice(split + 2).replace(/\n$/, "");
  if (lines.length !== 4 || !lines[3].startsWith("timestamp ") || !sigLine.startsWith(SIGNATURE_PREFIX) ||
      sigLine.includes("\n")) {
    throw new HeadError("a checkpoint has origin, size, root and timestamp lines, then one signature");
  }
  const [origin, sizeText, rootText] = lines;
  const stampText = lines[3].slice("timestamp ".length);
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !/^[0-9]+$/.test(stampText)) {
    throw new HeadError("checkpoint size and timestamp are decimal integers");
  }
  const rest = sigLine.slice(SIGNATURE_PREFIX.length);
  const space = rest.lastIndexOf(" ");
  const head = {
    origin, size: BigInt(sizeText), root: b64decode(rootText, "checkpoint root"), timestampMs: Number(stampText),
    keyName: rest.slice(0, space), signature: b64decode(rest.slice(space + 1), "checkpoint signature"), body,
  };
  if (head.root.length !== 32) throw new HeadError("checkpoint root is 32 bytes");
  if (`${body}\n${SIGNATURE_PREFIX}${head.keyName} ${b64encode(head.signature)}\n` !== text) {
    throw new HeadError("checkpoint is not in canonical form");
  }
  return head;
}

// verifyCheckpoint(text, publicKey) → the parsed head, once the ledger key (32 raw bytes) signed it.
export async function verifyCheckpoint(text, publicKey) {
  const head = parseCheckpoint(text);
  const keyId = (await sha256(concat(encoder.encode(head.keyName + "\n"), Uint8Array.of(1), publicKey))).slice(0, 4);
  if (head.signature.length !== 68 || !equal(head.signature.slice(0, 4), keyId)) {
    throw new HeadError("the checkpoint is not signed by the ledger's key");
  }
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, head.signature.slice(4), encoder.encode(head.body));
  if (!ok) throw new HeadError("the checkpoint's signature does not verify");
  return head;
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

// verifyConsistency(size1, size2, proof, root1, root2): throws unless the tree of size2 extends that of size1
// (RFC 9162 §2.1.4.2; sizes as BigInt, hashes as Uint8Array).
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  if (size2 < size1) throw new HeadError("the newer head is smaller than the one seen before");
  if (size1 === size2) {
    if (proof.length || !equal(root1, root2)) throw new HeadError("two heads of one size with different roots");
    return;
  }
  if (size1 === 0n) return;
  if (!proof.length) throw new HeadError("empty consistency proof");
  const path = [...proof];
  if ((size1 & (size1 - 1n)) === 0n) path.unshift(root1);
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new HeadError("consistency proof is too long");
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!(fn & 1n)) {
        while (fn !== 0n && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n || !equal(fr, root1) || !equal(sr, root2)) {
    throw new HeadError("the consistency proof does not lead to both heads: the log was not only appended to");
  }
}

// checkLatestHead(api, previous) → {head, text}: the service's latest head, signed by its key and, if this
// browser saw a head before (`previous`, its checkpoint text), a consistent extension of it.
export async function checkLatestHead(api, previous) {
  const key = b64decode((await api("/v1/ledger/key")).public_key, "ledger key");
  const text = (await api("/v1/ledger/head")).checkpoint;
  const head = await verifyCheckpoint(text, key);
  if (previous) {
    const before = await verifyCheckpoint(previous, key);
    let proof = [];
    if (before.size > 0n && before.size < head.size) {
      const answer = await api(`/v1/ledger/proofs/consistency?first=${before.size}&second=${head.size}`);
      proof = answer.proof.map((p) => b64decode(p, "proof hash"));
    }
    await verifyConsistency(before.size, head.size, proof, before.root, head.root);
  }
  return { head, text };
}
