// Test driver: node inputs_cases.mjs PROGRAM CONSTANTS CASES OUT
// CASES is JSON [{credential, secret, path: {siblings, indexBits}, request}] (the service's JSON forms);
// OUT gets [{inputs, refusal, witness: "ok" | {name, message}, ops}].
import { readFileSync, writeFileSync } from "node:fs";
import { computeWitness, parseProgram } from "../../service/web/wallet/witness.js";
import { OPS, circuitInputs, refusalOf } from "../../service/web/wallet/inputs.js";

const [programPath, constantsPath, casesPath, outPath] = process.argv.slice(2);
const read = (path) => JSON.parse(readFileSync(path, "utf8"));
const program = parseProgram(read(programPath), read(constantsPath));
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, "utf8"))) {
  const inputs = await circuitInputs(program, c.credential, c.secret, c.path, c.request);
  const refusal = refusalOf(program, c.credential, c.secret, c.request);
  let witness = "ok";
  try {
    computeWitness(program, inputs);
  } catch (e) {
    witness = { name: e.name, message: e.message };
  }
  results.push({ inputs, refusal, witness, ops: OPS });
}
writeFileSync(outPath, JSON.stringify(results));
