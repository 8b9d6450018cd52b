// Test driver: node tiles_cases.mjs PROGRAM CONSTANTS CASES OUT
// CASES is JSON [{depth, leaf, tiles: {"level/index": hex of the tile's bytes}}]; OUT gets
// [{siblings: [decimal…], indexBits, root, ms} | {error: {name, message}}].
import { readFileSync, writeFileSync } from "node:fs";
import { parseProgram, poseidon } from "../../service/web/wallet/witness.js";
import { decodeTile, pathFromTiles, tileLevels } from "../../service/web/wallet/tiles.js";

const [programPath, constantsPath, casesPath, outPath] = process.argv.slice(2);
const read = (path) => JSON.parse(readFileSync(path, "utf8"));
const program = parseProgram(read(programPath), read(constantsPath));
const hash2 = (a, b) => poseidon(program, [a, b]);
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, "utf8"))) {
  try {
    const levels = tileLevels(c.depth);
    const tiles = new Map();
    for (const [key, hex] of Object.entries(c.tiles)) {
      const level = Number(key.split("/")[0]);
      tiles.set(key, decodeTile(Uint8Array.from(Buffer.from(hex, "hex")), 2 ** levels[level].height));
    }
    const start = performance.now();
    const path = pathFromTiles(c.depth, c.leaf, tiles, hash2);
    const ms = performance.now() - start;
    results.push({ siblings: path.siblings.map(String), indexBits: path.indexBits, root: String(path.root), ms });
  } catch (e) {
    results.push({ error: { name: e.name, message: e.message } });
  }
}
writeFileSync(outPath, JSON.stringify(results));
