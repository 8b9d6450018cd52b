// Test driver: node witness_cases.mjs PROGRAM CONSTANTS CASES OUTDIR
// CASES is JSON [{inputs, expected: {program, constants}?}]; for case i it writes OUTDIR/i.json
// ({witness: [decimal…], ms} or {error: {name, message}}) and, for a witness, OUTDIR/i.wtns.
import { readFileSync, writeFileSync } from "node:fs";
import { computeWitness, loadProgram, wtnsBytes } from "../../service/web/wallet/witness.js";

const [programPath, constantsPath, casesPath, outDir] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const programBytes = readFileSync(programPath);
const constantsBytes = readFileSync(constantsPath);
for (const [i, c] of cases.entries()) {
  let result;
  try {
    const program = await loadProgram(programBytes, constantsBytes, c.expected ?? {});
    const start = performance.now();
    const witness = computeWitness(program, c.inputs);
    const ms = performance.now() - start;
    writeFileSync(`${outDir}/${i}.wtns`, wtnsBytes(program, witness));
    result = { witness: witness.map(String), ms };
  } catch (e) {
    result = { error: { name: e.name, message: e.message } };
  }
  writeFileSync(`${outDir}/${i}.json`, JSON.stringify(result));
}
