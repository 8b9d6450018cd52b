// snarkjs groth16.verify in-process: median over many runs after warm-up. Prints JSON.
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";

const [dir, runsArg] = process.argv.slice(2);
const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));
const vk = read("verification_key.json"), proof = read("proof.json"), pub = read("public.json");
const runs = Number(runsArg || 30);
const quiet = { info() {}, debug() {}, warn() {}, error() {} };
for (let i = 0; i < 3; i++) await snarkjs.groth16.verify(vk, pub, proof, quiet);
const times = [];
let ok = true;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  ok = (await snarkjs.groth16.verify(vk, pub, proof, quiet)) && ok;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ ok, median_ms: times[Math.floor(times.length / 2)], runs }));
process.exit(0);
