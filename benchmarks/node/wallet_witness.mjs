// node wallet_witness.mjs KEYS_DIR INPUTS.json TILES.json: median ms of witness.js's computeWitness
// (after loading and digest-checking the program) and of tiles.js's pathFromTiles, as JSON.
import { readFileSync } from "node:fs";
import { computeWitness, loadProgram, poseidon, wtnsBytes } from "../../service/web/wallet/witness.js";
import { decodeTile, pathFromTiles, tileLevels } from "../../service/web/wallet/tiles.js";

const [keysDir, inputsPath, tilesPath] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(`${keysDir}/metadata.json`, "utf8"));
const t0 = performance.now();
const program = await loadProgram(readFileSync(`${keysDir}/witness_program.json`),
  readFileSync(`${keysDir}/poseidon_constants.json`),
  { program: meta.files["witness_program.json"], constants: meta.files["poseidon_constants.json"] });
const loadMs = performance.now() - t0;
const inputs = JSON.parse(readFileSync(inputsPath, "utf8"));
const median = (fn, n) => {
  const samples = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); fn(); samples.push(performance.now() - t); }
  return samples.sort((a, b) => a - b)[Math.floor(n / 2)];
};
const witnessMs = median(() => wtnsBytes(program, computeWitness(program, inputs)), 7);
const { depth, leaf, tiles: hex } = JSON.parse(readFileSync(tilesPath, "utf8"));
const levels = tileLevels(depth);
const tiles = new Map(Object.entries(hex).map(([k, v]) => [k, decodeTile(Uint8Array.from(Buffer.from(v, "hex")),
  2 ** levels[Number(k.split("/")[0])].height)]));
const tilesMs = median(() => pathFromTiles(depth, leaf, tiles, (a, b) => poseidon(program, [a, b])), 3);
console.log(JSON.stringify({ load_ms: loadMs, witness_ms: witnessMs, tiles_ms: tilesMs }));
