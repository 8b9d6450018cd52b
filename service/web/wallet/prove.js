// Proving on the device: the holder secret, credential checks, then the proof for a request from the
// published artifacts (witness.js: digest-checked downloads and the witness program), the circuit's
// inputs (inputs.js), the membership path from tiles (tiles.js) and Groth16 (snarkjs's browser build).
//
// What leaves the page: when a request's consent screen opens, requests for snarkjs and the proving
// artifacts (the same for everyone, whether or not the holder can answer; warmProver); once the holder
// taps, for the tiles that cover the credential's leaf (a range of 256 leaves, not the leaf; see
// tiles.js) and the presentation itself (proof, public signals, issuer). Never the secret, attributes or
// leaf index.

import { api } from "/web/shared/api.js";

// The interpreter, input builder and tile reader load on first use, so the first screen does not wait.
const witnessModule = () => import("./witness.js");
const inputsModule = () => import("./inputs.js");
const tilesModule = () => import("./tiles.js");

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const SLOTS = 8;
const SLOT_LIMIT = 1n << 64n;

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

// --- the published artifacts, each checked against its sha256 before use ---

let listing = null;

async function artifactsEntry() {
  listing = listing || api("/v1/keys");
  try {
    return (await listing).circuits[0];
  } catch (err) {
    listing = null;
    throw err;
  }
}

async function checked(name) {
  const [entry, witness] = await Promise.all([artifactsEntry(), witnessModule()]);
  const artifact = entry.artifacts[name];
  try {
    // a versioned URL (?sha256=…): the service worker keeps it for good, the digest check stays
    return await witness.fetchChecked(artifact.url, artifact.sha256);
  } catch (err) {
    if (err instanceof witness.BadArtifact) {
      throw new Refusal("A file this service sent does not match its published fingerprint, so it was not used."
        + " Check the connection and try again.");
    }
    throw new Refusal("The prover's files could not be downloaded. Check the connection and try again.");
  }
}

let programLoading = null; // the witness program and its Poseidon constants (~300 kB), once per page

/** The parsed witness program (it also carries the Poseidon constants every hash here uses). */
export function witnessProgram() {
  programLoading = programLoading || (async () => {
    const [programBytes, constantsBytes, witness] = await Promise.all([checked("witness_program.json"),
      checked("poseidon_constants.json"), witnessModule()]);
    return witness.loadProgram(programBytes, constantsBytes);
  })();
  return programLoading.catch((err) => {
    programLoading = null; // let a later attempt download again
    throw err;
  });
}

let zkeyLoading = null; // the proving key (13.5 MB at depth 20), once per page

function provingKey() {
  zkeyLoading = zkeyLoading || checked("circuit.zkey");
  return zkeyLoading.catch((err) => {
    zkeyLoading = null;
    throw err;
  });
}

let snarkjsLoaded = null;

function loadSnarkjs() {
  // snarkjs ships its browser build as one classic script that defines `snarkjs`.
  snarkjsLoaded = snarkjsLoaded || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/web/vendor/snarkjs/build/snarkjs.min.js";
    script.onload = () => resolve(self.snarkjs);
    script.onerror = () => {
      snarkjsLoaded = null;
      script.remove();
      reject(new Refusal("The prover could not be loaded. Check the connection and try again."));
    };
    document.head.append(script);
  });
  return snarkjsLoaded;
}

let curveBuilding = null; // BN254's wasm and its worker threads, once per page

// snarkjs builds the curve (compiles ffjavascript's wasm in one worker per core) inside every prove
// unless one is already built: ffjavascript keeps the multi-threaded curve in globalThis.curve_bn128
// and groth16.prove picks it up. Building it here, once, takes that cost off the holder's tap; and
// the proof must wait for it, or a prove started mid-build would build a second set of workers.
function curve() {
  curveBuilding = curveBuilding || loadSnarkjs().then((snarkjs) => snarkjs.curves.getCurveFromName("bn128"));
  return curveBuilding.catch((err) => {
    curveBuilding = null;
    throw err;
  });
}

/** Timings (ms) of the last warm-up and proof, and of the submission after it (wallet.js), for the benchmark. */
export const lastTimings = {};

let warming = null;

/**
 * Get the prover ready before the holder taps: the proving key (downloaded and digest-checked), the
 * witness program, snarkjs and its curve (wasm compiled, workers started). Called when a consent screen
 * opens, so the tap pays only for the proof; what it downloads is the same for everyone (no tile,
 * nothing about the credential). Resolves to true when ready, false when something failed: the tap then
 * tries again and explains the failure in words.
 */
export function warmProver() {
  warming = warming || (async () => {
    const t0 = performance.now();
    try {
      await Promise.all([provingKey(), witnessProgram(), curve(), inputsModule(), tilesModule()]);
    } catch {
      warming = null;
      return false;
    }
    lastTimings.warm_ms = performance.now() - t0;
    return true;
  })();
  return warming;
}

// --- the holder's identity and credentials ---

/** The identity commitment Poseidon(s) an issuer needs, as a decimal string. */
export async function idCommitment(secret) {
  const [witness, program] = await Promise.all([witnessModule(), witnessProgram()]);
  return witness.poseidon(program, [secret]).toString();
}

function decimal(value, limit, what) {
  if (typeof value === "number" && Number.isSafeInteger(value)) value = String(value);
  if (typeof value !== "string" || !/^[0-9]{1,78}$/.test(value) || BigInt(value) >= limit) {
    throw new Refusal(`This is not a valid credential: ${what} is missing or wrong. Ask the issuer for it again.`);
  }
  return BigInt(value).toString();
}

/** A credential as issued (circuits/credentials.py Credential.to_json), checked and normalised. */
export function checkCredential(obj, schemas, commitment) {
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

/**
 * Why `credential` cannot answer `request`, as inputs.js's refusalOf says it (same checks, same order as
 * the Python prover), or null when it can.
 */
export async function refusalFor(credential, secret, request) {
  const [inputs, program] = await Promise.all([inputsModule(), witnessProgram()]);
  return inputs.refusalOf(program, credential, secret, request);
}

// --- proving ---

/**
 * The credential's membership path, computed here from the tiles that cover its leaf. Refuses a
 * credential whose leaf is no longer in the tree: its issuer revoked it (a revoked leaf reads as 0).
 */
async function membershipPath(credential, witness, program) {
  const [tiles, inputs] = await Promise.all([tilesModule(), inputsModule()]);
  const path = await tiles.fetchPath("", credential.issuer, credential.leaf_index,
    (a, b) => witness.poseidon(program, [a, b]));
  const leaf = witness.poseidon(program, [await inputs.schemaId(credential.schema), BigInt(credential.id_commitment),
    ...credential.slots.map(BigInt), BigInt(credential.expiry), BigInt(credential.nonce)]);
  if (inputs.rootFromPath(program, leaf, path) !== path.root) {
    throw new Refusal(`This credential was withdrawn (revoked) by ${credential.issuer}. Ask them for a new one.`);
  }
  return path;
}

/**
 * Prove that `credential` answers the request in `view` and return the presentation to submit.
 * onStep(fraction, words) reports progress. Throws Refusal (in words) when it cannot be answered.
 */
export async function proveRequest({ view, credential, secret, onStep }) {
  const t0 = performance.now();
  const request = view.request;
  onStep(0.02, "Getting the prover ready…");
  const [snarkjs, zkey, program, witness, inputs] = await Promise.all([loadSnarkjs(), provingKey(), witnessProgram(),
    witnessModule(), inputsModule(), curve()]);
  const t1 = performance.now();
  onStep(0.35, "Finding your credential in the issuer's register, without saying which one…");
  const path = await membershipPath(credential, witness, program);
  const t2 = performance.now();
  onStep(0.45, "Checking your answer on this phone…");
  // The wallet checked the request before offering to prove: a failure here is a bug or a stale key,
  // not the holder's doing, and surfaces as one.
  const values = await inputs.circuitInputs(program, credential, secret, path, request);
  const wtns = witness.wtnsBytes(program, witness.computeWitness(program, values));
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
