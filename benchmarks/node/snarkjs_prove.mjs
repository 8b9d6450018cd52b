// snarkjs groth16.prove(zkey, wtns) in-process: median over runs after warm-up. Prints JSON.
import * as snarkjs from "snarkjs";

const [dir, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 7);
const quiet = { info() {}, debug() {}, warn() {}, error() {} };
const zkey = `${dir}/circuit.zkey`, wtns = `${dir}/witness.wtns`;
for (let i = 0; i < 2; i++) await snarkjs.groth16.prove(zkey, wtns, quiet);
const times = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await snarkjs.groth16.prove(zkey, wtns, quiet);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], runs }));
process.exit(0);
