// The credential query circuit's inputs, computed on the device: the JavaScript twin of
// circuits/requests.py's `circuit_inputs` and of the checks `prove_request` makes before proving.
//
//   const refusal = refusalOf(program, credential, secret, request);  // null, or why not (as data)
//   const inputs = await circuitInputs(program, credential, secret, path, request);
//   const witness = computeWitness(program, inputs);                  // witness.js
//
// `credential` and `request` are the service's JSON forms (Credential.to_json, ProofRequest.to_json);
// `path` is {siblings, indexBits} (tiles.js's pathFromTiles). Plain ES module, BigInt, WebCrypto.

import { poseidon } from "./witness.js";

// circuits/credential_query.py's Op (a test checks both tables agree).
export const OPS = {
  NOOP: 0, EQ: 1, NE: 2, LT: 3, LTE: 4, GT: 5, GTE: 6, IN: 7, NIN: 8, BETWEEN: 9, NOT_BETWEEN: 10,
};
const SLOT_INDEX_BITS = 3n;
const DATE_BIAS = 2 ** 31;
const DAY_MS = 86_400_000;

async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}

function bigEndian(bytes) {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

// A schema's id: the first 8 bytes of SHA-256(name), big-endian.
export async function schemaId(name) {
  return bigEndian((await sha256(new TextEncoder().encode(name))).slice(0, 8));
}

// A scope as a field element: SHA-256("zkelig scope\0" ‖ UTF-8 scope) truncated to 248 bits.
export async function scopeId(scope) {
  const text = new TextEncoder().encode(scope);
  const bytes = new Uint8Array(13 + text.length);
  bytes.set(new TextEncoder().encode("zkelig scope\0"));
  bytes.set(text, 13);
  return bigEndian((await sha256(bytes)).slice(0, 31));
}

// An ISO date ("2026-11-30") as its slot encoding: days since 1970-01-01 plus 2^31.
export function encodeDate(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) throw new RangeError(`not an ISO date: ${iso}`);
  return BigInt(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS + DATE_BIAS);
}

// The request's queries, NOOP-filled to q, each value list padded to m by repeating its last value.
function paddedQueries(request) {
  const queries = request.queries.map((x) => ({ slot: x.slot, op: OPS[x.op], values: x.values.map(BigInt) }));
  if (queries.some((x) => x.op === undefined)) throw new RangeError("the request has an unknown operator");
  while (queries.length < request.q) queries.push({ slot: 0, op: OPS.NOOP, values: [] });
  return queries.map((x) => ({
    ...x,
    values: x.values.length
      ? x.values.concat(Array(request.m - x.values.length).fill(x.values.at(-1)))
      : Array(request.m).fill(0n),
  }));
}

// circuits/credential_query.py's hash_queries: fold the Q·(M + 1) words 16 (then 1 + 15) at a time.
export function queriesHash(program, request) {
  const words = [];
  for (const x of paddedQueries(request)) words.push(BigInt(x.slot) + (BigInt(x.op) << SLOT_INDEX_BITS), ...x.values);
  let h = poseidon(program, words.slice(0, 16));
  for (let rest = words.slice(16); rest.length; rest = rest.slice(15)) h = poseidon(program, [h, ...rest.slice(0, 15)]);
  return h;
}

function holds(op, x, v) {
  switch (op) {
    case "NOOP": return true;
    case "EQ": return x === v[0];
    case "NE": return x !== v[0];
    case "LT": return x < v[0];
    case "LTE": return x <= v[0];
    case "GT": return x > v[0];
    case "GTE": return x >= v[0];
    case "IN": return v.includes(x);
    case "NIN": return !v.includes(x);
    case "BETWEEN": return v[0] <= x && x <= v[1];
    case "NOT_BETWEEN": return !(v[0] <= x && x <= v[1]);
    default: throw new RangeError(`unknown operator ${op}`);
  }
}

// Why this credential cannot answer this request, as data a page puts in words, or null:
// {reason: "schema" | "issuer" | "secret" | "expired"} or {reason: "query", query: k, op, slot}.
// Same order and same cases as prove_request's checks.
export function refusalOf(program, credential, secret, request) {
  if (credential.schema !== request.schema) return { reason: "schema" };
  if (!request.issuers.includes(credential.issuer)) return { reason: "issuer" };
  if (poseidon(program, [BigInt(secret)]) !== BigInt(credential.id_commitment)) return { reason: "secret" };
  if (encodeDate(request.today) > BigInt(credential.expiry)) return { reason: "expired" };
  for (const [k, q] of request.queries.entries()) {
    if (!holds(q.op, BigInt(credential.slots[q.slot]), q.values.map(BigInt))) {
      return { reason: "query", query: k, op: q.op, slot: q.slot };
    }
  }
  return null;
}

export function rootFromPath(program, leaf, path) {
  let node = leaf;
  path.siblings.forEach((sibling, h) => {
    const s = BigInt(sibling);
    node = path.indexBits[h] ? poseidon(program, [s, node]) : poseidon(program, [node, s]);
  });
  return node;
}

// The named inputs for computeWitness (decimal strings), exactly as circuit_inputs computes them.
export async function circuitInputs(program, credential, secret, path, request) {
  const s = BigInt(secret);
  const schema = await schemaId(credential.schema);
  const slots = credential.slots.map(BigInt);
  const leaf = poseidon(program, [schema, BigInt(credential.id_commitment), ...slots, BigInt(credential.expiry),
    BigInt(credential.nonce)]);
  const scope = await scopeId(request.scope);
  const queries = paddedQueries(request);
  const values = {
    nullifier: poseidon(program, [s, scope]),
    root: rootFromPath(program, leaf, path),
    schema_id: await schemaId(request.schema),
    queries_hash: queriesHash(program, request),
    today: encodeDate(request.today),
    scope,
    challenge: BigInt(request.challenge),
    secret: s,
    slots,
    expiry: BigInt(credential.expiry),
    nonce: BigInt(credential.nonce),
    siblings: path.siblings.map(BigInt),
    index_bits: path.indexBits.map(BigInt),
    query_slots: queries.map((x) => BigInt(x.slot)),
    query_ops: queries.map((x) => BigInt(x.op)),
    values: queries.flatMap((x) => x.values),
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
}
