// circomlibjs Poseidon (WASM build, as apps use it): two-input hashes per second. Prints JSON.
import { buildPoseidon } from "circomlibjs";

const n = Number(process.argv[2] || 20000);
const poseidon = await buildPoseidon();
const F = poseidon.F;
const check = F.toObject(poseidon([1, 2])).toString();
for (let i = 0; i < 1000; i++) poseidon([i, i + 1]);
const t = performance.now();
for (let i = 0; i < n; i++) poseidon([BigInt(i) * 7919n, BigInt(i) + 12345n]);
const seconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ hashes_per_s: n / seconds, poseidon_1_2: check }));
process.exit(0);
