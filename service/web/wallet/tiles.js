// A membership path from tiles, computed on the device: the JavaScript twin of zkcore/merkle/tiles.py
// (whose docstring says what a tile holds and what the server still learns from the fetches).
//
//   const hash2 = (a, b) => poseidon(program, [a, b]);         // from witness.js
//   const { siblings, indexBits, root } = await fetchPath("", "registry", leafIndex, hash2);
//   // then check that `root` is among GET /v1/ledger/issuers/{issuer}/roots's accepted roots
//
// Plain ES module, BigInt, no dependency.

export const TILE_HEIGHT = 8;
export const NODE_BYTES = 32;

export class BadTile extends Error {
  constructor(message) { super(message); this.name = "BadTile"; }
}

// [{base, height}] per tile level, bottom up: depth 20 → heights 0..7, 8..15, 16..19.
export function tileLevels(depth) {
  const levels = [];
  for (let base = 0; base < depth; base += TILE_HEIGHT) {
    levels.push({ base, height: Math.min(TILE_HEIGHT, depth - base) });
  }
  return levels;
}

// The tiles leaf `leafIndex`'s path reads: [{level, index}]. Leaf indices stay below 2^32, so
// Number arithmetic (Math.floor, not the 32-bit >> operator) is exact.
export function tilesForLeaf(depth, leafIndex) {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= 2 ** depth) {
    throw new BadTile(`leaf index must be in 0..2^${depth} − 1`);
  }
  return tileLevels(depth).map(({ base, height }, level) => ({
    level, index: Math.floor(leafIndex / 2 ** (base + height)),
  }));
}

export function decodeTile(bytes, width) {
  if (bytes.length % NODE_BYTES || bytes.length === 0 || bytes.length / NODE_BYTES > width) {
    throw new BadTile(`a tile holds 1 to ${width} nodes of ${NODE_BYTES} bytes`);
  }
  const nodes = [];
  for (let o = 0; o < bytes.length; o += NODE_BYTES) {
    let x = 0n;
    for (let i = 0; i < NODE_BYTES; i++) x = (x << 8n) | BigInt(bytes[o + i]);
    nodes.push(x);
  }
  return nodes;
}

// zeros[h]: the root of an empty subtree of height h (an empty leaf is 0).
export function zeroHashes(depth, hash2) {
  const zeros = [0n];
  for (let h = 0; h < depth; h++) zeros.push(hash2(zeros[h], zeros[h]));
  return zeros;
}

// tiles: Map from "level/index" to the tile's nodes (BigInt[]), for every tile tilesForLeaf names.
export function pathFromTiles(depth, leafIndex, tiles, hash2, zeros = zeroHashes(depth, hash2)) {
  const siblings = [];
  let top = null;
  const levels = tileLevels(depth);
  for (const { level, index } of tilesForLeaf(depth, leafIndex)) {
    const { base, height } = levels[level];
    const nodes = tiles.get(`${level}/${index}`);
    if (!nodes || nodes.length === 0 || nodes.length > 2 ** height) {
      throw new BadTile(`tile ${level}/${index} must hold 1 to ${2 ** height} nodes`);
    }
    let row = nodes.concat(Array(2 ** height - nodes.length).fill(zeros[base]));
    const position = Math.floor(leafIndex / 2 ** base) % 2 ** height;
    if (top !== null && row[position] !== top) {
      throw new BadTile(`tile ${level}/${index} does not hold the node the tile below computes: fetch again`);
    }
    for (let h = 0; h < height; h++) {
      siblings.push(row[Math.floor(position / 2 ** h) ^ 1]);
      // two empty subtrees make an empty one: the right edge's padding costs no hashing
      const empty = zeros[base + h];
      const next = [];
      for (let i = 0; i < row.length; i += 2) {
        next.push(row[i] === empty && row[i + 1] === empty ? zeros[base + h + 1] : hash2(row[i], row[i + 1]));
      }
      row = next;
    }
    top = row[0];
  }
  const indexBits = Array.from({ length: depth }, (_, h) => Math.floor(leafIndex / 2 ** h) % 2);
  return { leafIndex, siblings, indexBits, root: top };
}

// Fetch the layout and this leaf's tiles from the service, then compute the path locally.
export async function fetchPath(baseUrl, issuer, leafIndex, hash2, fetchFn = globalThis.fetch) {
  const prefix = `${baseUrl}/v1/ledger/issuers/${encodeURIComponent(issuer)}/tiles`;
  const layoutResponse = await fetchFn(prefix);
  if (!layoutResponse.ok) throw new BadTile(`the tree of ${issuer} could not be read (${layoutResponse.status})`);
  const { depth } = await layoutResponse.json();
  const levels = tileLevels(depth);
  // The tiles are fetched together: one round trip on a phone's network instead of one per level.
  const tiles = new Map(await Promise.all(tilesForLeaf(depth, leafIndex).map(async ({ level, index }) => {
    const response = await fetchFn(`${prefix}/${level}/${index}`);
    if (!response.ok) throw new BadTile(`tile ${level}/${index} could not be read (${response.status})`);
    return [`${level}/${index}`, decodeTile(new Uint8Array(await response.arrayBuffer()), 2 ** levels[level].height)];
  })));
  return pathFromTiles(depth, leafIndex, tiles, hash2);
}
