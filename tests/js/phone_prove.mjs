// Test driver, the phone's side against a live service: node phone_prove.mjs BASE_URL CASE.json OUT.json
// CASE: {issuer, leafIndex, credential, secret, request}. Fetches and digest-checks the artifacts,
// learns the path from tiles, checks its root is accepted, computes the witness, proves with snarkjs.
import { readFileSync, writeFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import { computeWitness, fetchArtifacts, poseidon, wtnsBytes } from "../../service/web/wallet/witness.js";
import { fetchPath } from "../../service/web/wallet/tiles.js";
import { circuitInputs, refusalOf } from "../../service/web/wallet/inputs.js";

const [baseUrl, casePath, outPath] = process.argv.slice(2);
const c = JSON.parse(readFileSync(casePath, "utf8"));
const requested = [];
const fetchFn = (url, init) => { requested.push(url); return fetch(url, init); };
const times = {};
let t = performance.now();
const { program, zkey } = await fetchArtifacts(baseUrl, fetchFn);
times.artifacts_ms = performance.now() - t;
t = performance.now();
const path = await fetchPath(baseUrl, c.issuer, c.leafIndex, (a, b) => poseidon(program, [a, b]), fetchFn);
times.path_ms = performance.now() - t;
const roots = await (await fetchFn(`${baseUrl}/v1/ledger/issuers/${c.issuer}/roots`)).json();
const accepted = roots.accepted.includes(String(path.root));
const refusal = refusalOf(program, c.credential, c.secret, c.request);
t = performance.now();
const witness = computeWitness(program, await circuitInputs(program, c.credential, c.secret, path, c.request));
times.witness_ms = performance.now() - t;
t = performance.now();
const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtnsBytes(program, witness));
times.prove_ms = performance.now() - t;
writeFileSync(outPath, JSON.stringify({ accepted, refusal, proof, publicSignals, requested, times, root: String(path.root) }));
process.exit(0);  // snarkjs leaves worker threads behind
