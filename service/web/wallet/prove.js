// Proving on the device: the holder secret, credential checks, the circuit's inputs (as
// circuits/requests.py `circuit_inputs` builds them), the witness (witness.js runs the service's
// witness program), the membership path from tiles (tiles.js) and the Groth16 proof (snarkjs).
//
// What leaves the page while proving: requests for the proving artifacts (the same for everyone),
// for the tiles that cover the credential's leaf (a range of leaves, not the leaf; see tiles.js), and
// the presentation itself (proof, public signals, issuer). Never the secret, attributes or leaf index.

import { api } from "/web/shared/api.js";

// The witness interpreter loads on first use, and the tile reader (tiles.js) when proving, so the
// wallet's first screen does not wait for them.
const witnessModule = () => import("./witness.js");
const tilesModule = () => import("./tiles.js");

export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const SLOTS = 8;
const SLOT_LIMIT = 1n << 64n;
const DATE_BIAS = 1n << 31n;
const OPS = ["NOOP", "EQ", "NE", "LT", "LTE", "GT", "GTE", "IN", "NIN", "BETWEEN", "NOT_BETWEEN"];
const SLOT_INDEX_BITS = 3n;

/** A refusal the holder can act on, already in words. */
export class Refusal extends Error {}

/** A fresh holder secret, uniform in [1, r): 512 random bits reduced mod r (bias below 2^-250). */
export function newSecret() {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(64));
    let x = 0n;
    for (const b of bytes) x = (x << 8n) | BigInt(b);
    x %= R;
    if (x !== 0n) return x;
  }
}

/** The identity commitment Poseidon(s) an issuer needs, as a decimal string. */
export async function idCommitment(secret) {
  return (await poseidon([secret])).toString();
}

/** A date (YYYY-MM-DD) as the circuit's slot value: days since 1970-01-01 plus 2^31. */
export function todaySlot(isoDay) {
  return BigInt(Math.round(Date.parse(isoDay + "T00:00:00Z") / 86400000)) + DATE_BIAS;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function bigFrom(bytes) {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

/** A schema name's id: the first 8 bytes of SHA-256(name) (circuits/credentials.py Schema.id). */
export async function schemaId(name) {
  return bigFrom((await sha256(new TextEncoder().encode(name))).slice(0, 8));
}

/** A scope as a field element: SHA-256("zkelig scope\0" ‖ scope) truncated to 248 bits. */
export async function scopeId(scope) {
  const text = new TextEncoder().encode(scope);
  const input = new Uint8Array(13 + text.length);
  input.set(new TextEncoder().encode("zkelig scope\u0000"));
  input.set(text, 13);
  return bigFrom((await sha256(input)).slice(0, 31));
}

function decimal(value, limit, what) {
  if (typeof value === "number" && Number.isSafeInteger(value)) value = String(value);
  if (typeof value !== "string" || !/^[0-9]{1,78}$/.test(value) || BigInt(value) >= limit) {
    throw new Refusal(`This is not a valid credential: ${what} is missing or wrong. Ask the issuer for it again.`);
  }
  return BigInt(value).toString();
}

/** A credential as issued (circuits/credentials.py Credential.to_json), checked and normalised. */
export async function checkCredential(obj, schemas, commitment) {
  if (!obj || typeof obj !== "object") throw new Refusal("This is not a credential.");
  if (!schemas[obj.schema]) throw new Refusal("This credential is of a kind this wallet does not know.");
  if (typeof obj.issuer !== "string" || !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(obj.issuer)) {
    throw new Refusal("This is not a valid credential: the issuer is missing or wrong. Ask the issuer for it again.");
  }
  if (!Array.isArray(obj.slots) || obj.slots.length !== SLOTS) {
    throw new Refusal("This is not a valid credential: its attributes are missing. Ask the issuer for it again.");
  }
  if (!Number.isSafeInteger(obj.leaf_index) || obj.leaf_index < 0) {
    throw new Refusal("This credential does not say where it is on the ledger: ask the issuer for the full file.");
  }
  const credential = {
    schema: obj.schema,
    issuer: obj.issuer,
    id_commitment: decimal(obj.id_commitment, R, "the identity"),
    slots: obj.slots.map((v, i) => decimal(v, SLOT_LIMIT, `attribute ${i + 1}`)),
    expiry: decimal(obj.expiry, SLOT_LIMIT, "the expiry"),
    nonce: decimal(obj.nonce, R, "the nonce"),
    leaf_index: obj.leaf_index,
  };
  if (credential.id_commitment !== commitment) {
    throw new Refusal("This credential was issued to another wallet: its identity code is not yours.");
  }
  return credential;
}

/** leaf = Poseidon(schema_id, id_commitment, a_0..a_7, expiry, nonce). */
export async function leafOf(credential) {
  return poseidon([await schemaId(credential.schema), BigInt(credential.id_commitment),
    ...credential.slots.map(BigInt), BigInt(credential.expiry), BigInt(credential.nonce)]);
}

function padded(values, m) {
  if (!values.length) return Array(m).fill(0n);
  return [...values, ...Array(m - values.length).fill(values[values.length - 1])];
}

/** The Q·(M + 1) query words folded into one field element (credential_query.hash_queries). */
export async function hashQueries(queries, q, m) {
  const words = [];
  const all = [...queries, ...Array(q - queries.length).fill({ slot: 0, op: "NOOP", values: [] })];
  for (const query of all) {
    words.push(BigInt(query.slot) + (1n << SLOT_INDEX_BITS) * BigInt(OPS.indexOf(query.op)));
    words.push(...padded(query.values.map(BigInt), m));
  }
  let h = await poseidon(words.slice(0, 16));
  for (let rest = words.slice(16); rest.length; rest = rest.slice(15)) h = await poseidon([h, ...rest.slice(0, 15)]);
  return h;
}

/** The circuit's named inputs for answering `request` with `credential` (circuits/requests.py circuit_inputs). */
export async function circuitInputs(credential, secret, path, request) {
  const queries = [...request.queries,
    ...Array(request.q - request.queries.length).fill({ slot: 0, op: "NOOP", values: [] })];
  return {
    nullifier: await poseidon([secret, await scopeId(request.scope)]),
    root: path.root,
    schema_id: await schemaId(request.schema),
    queries_hash: await hashQueries(request.queries, request.q, request.m),
    today: todaySlot(request.today),
    scope: await scopeId(request.scope),
    challenge: BigInt(request.challenge),
    secret,
    slots: credential.slots.map(BigInt),
    expiry: BigInt(credential.expiry),
    nonce: BigInt(credential.nonce),
    siblings: path.siblings,
    index_bits: path.index_bits,
    query_slots: queries.map((x) => BigInt(x.slot)),
    query_ops: queries.map((x) => BigInt(OPS.indexOf(x.op))),
    values: queries.flatMap((x) => padded(x.values.map(BigInt), request.m)),
  };
}

async function download(circuit, name, onBytes = () => {}) {
  const digest = circuit.files[name];
  if (!digest) throw new Error(`the service does not publish ${name}`);
  // The digest in the URL makes it content-addressed: the service worker caches it for good.
  const response = await fetch(`/v1/keys/${circuit.circuit}/${name}?sha256=${digest}`);
  if (!response.ok) {
    throw new Refusal("The prover's files could not be downloaded. Check the connection and try again.");
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  onBytes(bytes.length);
  const actual = Array.from(await sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  if (actual !== digest) {
    throw new Refusal("A file this service sent does not match its published fingerprint. Do not use it.");
  }
  return bytes;
}

let circuitListing = null;

async function circuitFor(q, m) {
  circuitListing = circuitListing || api("/v1/keys");
  const { circuits } = await circuitListing;
  return circuits.find((c) => c.circuit.endsWith(`-q${q}-m${m}`)) || circuits[0];
}

let programLoading = null; // the witness program and Poseidon constants (~300 kB), once per page

async function witnessProgram(q = 4, m = 8) {
  programLoading = programLoading || (async () => {
    const circuit = await circuitFor(q, m);
    const [programBytes, constantsBytes, witness] = await Promise.all([download(circuit, "witness_program.json"),
      download(circuit, "poseidon_constants.json"), witnessModule()]);
    return witness.loadProgram(programBytes, constantsBytes,
      { program: circuit.files["witness_program.json"], constants: circuit.files["poseidon_constants.json"] });
  })();
  try {
    return await programLoading;
  } catch (err) {
    programLoading = null; // let a later attempt download again
    throw err;
  }
}

/** circomlib's Poseidon over the published constants (the same ones the circuit uses). */
async function poseidon(inputs) {
  const [witness, program] = await Promise.all([witnessModule(), witnessProgram()]);
  return witness.poseidon(program, inputs);
}

let zkeyLoading = null; // the proving key (13.5 MB at depth 20), once per page

async function provingKey(request, onStep) {
  zkeyLoading = zkeyLoading || circuitFor(request.q, request.m).then((circuit) => {
    let received = 0;
    return download(circuit, "circuit.zkey", (n) => {
      received += n;
      onStep(0.3, `Downloaded the proving key (${(received / 1e6).toFixed(1)} MB)`);
    });
  });
  try {
    return await zkeyLoading;
  } catch (err) {
    zkeyLoading = null;
    throw err;
  }
}

let snarkjsLoaded = null;

function loadSnarkjs() {
  // snarkjs ships its browser build as one classic script that defines `snarkjs`.
  snarkjsLoaded = snarkjsLoaded || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/web/vendor/snarkjs/build/snarkjs.min.js";
    script.onload = () => resolve(self.snarkjs);
    script.onerror = () => reject(new Error("The prover could not be loaded."));
    document.head.append(script);
  });
  return snarkjsLoaded;
}

/**
 * The credential's membership path, computed here from the tiles that cover its leaf (the server learns
 * the tile, a range of 256 leaves, not the leaf). Refuses a credential whose leaf is no longer in the
 * tree: its issuer revoked it (a revoked leaf reads as 0).
 */
async function membershipPath(credential, witness, program) {
  const hash2 = (a, b) => witness.poseidon(program, [a, b]);
  const tiles = await tilesModule();
  const found = await tiles.fetchPath("", credential.issuer, credential.leaf_index, hash2);
  let node = await leafOf(credential);
  found.siblings.forEach((sibling, h) => {
    node = found.indexBits[h] ? hash2(sibling, node) : hash2(node, sibling);
  });
  if (node !== found.root) {
    throw new Refusal(`This credential was withdrawn (revoked) by ${credential.issuer}. Ask them for a new one.`);
  }
  return { root: found.root, siblings: found.siblings, index_bits: found.indexBits.map(BigInt) };
}

/** Timings of the last proof (ms), for the benchmark. */
export const lastTimings = {};

/**
 * Prove that `credential` answers the request in `view` and return the presentation to submit.
 * onStep(fraction, words) reports progress. Throws Refusal (in words) when it cannot be answered.
 */
export async function proveRequest({ view, credential, secret, onStep }) {
  const t0 = performance.now();
  const request = view.request;
  onStep(0.02, "Getting the prover ready…");
  const [snarkjs, zkey, program, witness] = await Promise.all([loadSnarkjs(), provingKey(request, onStep),
    witnessProgram(request.q, request.m), witnessModule()]);
  const t1 = performance.now();
  onStep(0.35, "Finding your credential in the issuer's register, without saying which one…");
  const path = await membershipPath(credential, witness, program);
  const t2 = performance.now();
  onStep(0.45, "Checking your answer on this phone…");
  // The wallet checked every query before offering to prove: a failure here is a bug or a stale key,
  // not the holder's doing, and surfaces as one.
  const inputs = await circuitInputs(credential, secret, path, request);
  const wtns = witness.wtnsBytes(program, witness.computeWitness(program, inputs));
  const t3 = performance.now();
  onStep(0.55, "Making the proof (a few seconds)…");
  const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns);
  const t4 = performance.now();
  Object.assign(lastTimings, { artifacts_ms: t1 - t0, path_ms: t2 - t1, witness_ms: t3 - t2, proof_ms: t4 - t3 });
  return {
    issuer: credential.issuer,
    proof: { pi_a: proof.pi_a, pi_b: proof.pi_b, pi_c: proof.pi_c, protocol: "groth16", curve: "bn128" },
    public_signals: publicSignals,
  };
}
