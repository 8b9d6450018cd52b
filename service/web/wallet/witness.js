// The witness program interpreter: runs witness_program.json (format documented in
// circuits/witness_program.py) on the device and writes the .wtns bytes snarkjs proves from.
// Plain ES module, BigInt arithmetic, no dependency: the same file runs in a browser and in node.
//
//   const { program, zkey } = await fetchArtifacts("");   // GET /v1/keys, every file digest-checked
//   // (or: const program = await loadProgram(programBytes, constantsBytes, {program: sha, constants: sha});)
//   const witness = computeWitness(program, {nullifier: "123…", slots: ["1", …], …});
//   const wtns = wtnsBytes(program, witness);         // Uint8Array for snarkjs.groth16.prove(zkey, wtns)
//
// Errors mirror the Python DSL's: InvalidInput for inputs that are missing, unknown, of the wrong
// length or not in [0, r); Unsatisfied "constraint #k (query 1: holds) is not satisfied" when the
// credential does not answer the request (the constraint's name says which query).

const FORMAT = "zkelig-witness-program";
const CONSTANTS_FORMAT = "zkelig-poseidon-constants";
const VERSION = 2;  // of the program; its Poseidon constants are at version 1
const CONSTANTS_VERSION = 1;

export class InvalidInput extends Error {
  constructor(message) { super(message); this.name = "InvalidInput"; }
}

export class Unsatisfied extends Error {
  constructor(message) { super(message); this.name = "Unsatisfied"; }
}

export class BadArtifact extends Error {
  constructor(message) { super(message); this.name = "BadArtifact"; }
}

export async function sha256Hex(bytes) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Check both files against the digests the service lists (and the program's own record of the
// constants' digest) before parsing anything: a tampered program could compute a wrong witness.
export async function loadProgram(programBytes, constantsBytes, expected = {}) {
  const programDigest = await sha256Hex(programBytes);
  if (expected.program !== undefined && programDigest !== expected.program) {
    throw new BadArtifact("the witness program does not match its published sha256");
  }
  const constantsDigest = await sha256Hex(constantsBytes);
  if (expected.constants !== undefined && constantsDigest !== expected.constants) {
    throw new BadArtifact("the Poseidon constants do not match their published sha256");
  }
  const text = (b) => new TextDecoder().decode(b);
  const program = JSON.parse(text(programBytes));
  if (program.poseidon && program.poseidon.sha256 !== constantsDigest) {
    throw new BadArtifact("the Poseidon constants are not the ones the witness program names");
  }
  return parseProgram(program, JSON.parse(text(constantsBytes)));
}

// Download a file the service lists and check it against its sha256 before anyone uses it.
export async function fetchChecked(url, sha256, fetchFn = globalThis.fetch) {
  const response = await fetchFn(url);
  if (!response.ok) throw new BadArtifact(`${url} could not be downloaded (${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new BadArtifact(`${url} does not match its published sha256`);
  return bytes;
}

// What a phone needs to prove, from GET /v1/keys: the parsed witness program and the proving key's
// bytes (for snarkjs), each checked against the digest the listing gives. Versioned URLs are
// cached by the browser for a year, so a second visit downloads nothing.
export async function fetchArtifacts(baseUrl = "", fetchFn = globalThis.fetch) {
  const response = await fetchFn(`${baseUrl}/v1/keys`);
  if (!response.ok) throw new BadArtifact(`the key listing could not be read (${response.status})`);
  const [entry] = (await response.json()).circuits;
  const get = (name) => fetchChecked(baseUrl + entry.artifacts[name].url, entry.artifacts[name].sha256, fetchFn);
  const [programBytes, constantsBytes, zkey] = await Promise.all(
    ["witness_program.json", "poseidon_constants.json", "circuit.zkey"].map(get));
  const program = await loadProgram(programBytes, constantsBytes);
  if (program.circuit !== entry.circuit) throw new BadArtifact("the witness program is for another circuit");
  return { circuit: entry.circuit, program, zkey };
}

// --- parsing -----------------------------------------------------------------------------------

function coefficient(c, r) {
  if (typeof c === "string") return BigInt(c);  // "0x…"
  if (!Number.isSafeInteger(c)) throw new BadArtifact("a coefficient is not an exact integer");
  return c >= 0 ? BigInt(c) : r + BigInt(c);
}

// A linear combination as parallel arrays: wires (Int32Array) and coefficients (BigInt[]).
function linear(flat, r, wires) {
  if (!Array.isArray(flat) || flat.length % 2) throw new BadArtifact("malformed linear combination");
  const n = flat.length / 2;
  const ws = new Int32Array(n);
  const cs = new Array(n);
  for (let i = 0; i < n; i++) {
    const w = flat[2 * i];
    if (!Number.isInteger(w) || w < 0 || w >= wires) throw new BadArtifact("a linear combination names no wire");
    ws[i] = w;
    cs[i] = coefficient(flat[2 * i + 1], r);
  }
  return { ws, cs };
}

function parseConstants(obj, r) {
  if (obj.format !== CONSTANTS_FORMAT || obj.version !== CONSTANTS_VERSION || BigInt(obj.field) !== r) {
    throw new BadArtifact(`expected ${CONSTANTS_FORMAT} version ${CONSTANTS_VERSION} over the program's field`);
  }
  const widths = new Map();
  for (const [key, w] of Object.entries(obj.widths)) {
    const t = Number(key);
    const rounds = w.full_rounds + w.partial_rounds;
    if (w.round_constants.length !== rounds * t || w.mds.length !== t * t) {
      throw new BadArtifact(`Poseidon constants for width ${t} have the wrong size`);
    }
    const flat = (xs) => xs.map((x) => BigInt(x));
    const mdsFlat = flat(w.mds);
    widths.set(t, {
      t, full: w.full_rounds, partial: w.partial_rounds, constants: flat(w.round_constants),
      mds: Array.from({ length: t }, (_, i) => mdsFlat.slice(i * t, (i + 1) * t)),
    });
  }
  return widths;
}

export function parseProgram(obj, constantsObj) {
  if (obj.format !== FORMAT || obj.version !== VERSION) {
    throw new BadArtifact(`expected a ${FORMAT} of version ${VERSION}`);
  }
  const r = BigInt(obj.field);
  const wires = obj.wires;
  let next = 1;
  for (const [, , n] of obj.inputs) next += n === null ? 1 : n;
  const ops = obj.ops.map(([name, nOut, params, inputs]) => {
    if (!(name in HINTS)) throw new BadArtifact(`unknown op ${name}`);
    const op = { name, nOut, params, inputs: inputs.map((x) => linear(x, r, next)), first: next };
    next += nOut;
    return op;
  });
  if (next !== wires) throw new BadArtifact("the program's ops do not fill its wires");
  const checks = obj.checks.map(([k, name, a, b, c]) => ({ k, name, abc: [a, b, c].map((x) => linear(x, r, wires)) }));
  const poseidon = obj.poseidon ? parseConstants(constantsObj, r) : new Map();
  return { circuit: obj.circuit, r, wires, nPublic: obj.public, inputs: obj.inputs, ops, checks, poseidon };
}

// --- running -----------------------------------------------------------------------------------

function evaluate({ ws, cs }, w, r) {
  let acc = 0n;
  for (let i = 0; i < ws.length; i++) acc += cs[i] * w[ws[i]];
  return acc % r;
}

function fieldValue(v, name, r) {
  let x;
  if (typeof v === "bigint") x = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) x = BigInt(v);
  else if (typeof v === "string" && /^[0-9]{1,78}$/.test(v)) x = BigInt(v);
  else throw new InvalidInput(`input ${name} must be integers in [0, r)`);
  if (x < 0n || x >= r) throw new InvalidInput(`input ${name} must be integers in [0, r)`);
  return x;
}

function bind(program, values) {
  const names = program.inputs.map(([name]) => name);
  const missing = names.filter((n) => !(n in values)).sort();
  const unknown = Object.keys(values).filter((n) => !names.includes(n)).sort();
  if (missing.length || unknown.length) {
    throw new InvalidInput(`inputs: missing ${JSON.stringify(missing)}, unknown ${JSON.stringify(unknown)}`);
  }
  const w = [1n];
  for (const wanted of ["public", "secret"]) {
    for (const [name, kind, n] of program.inputs) {
      if (kind !== wanted) continue;
      const v = values[name];
      if (n === null) {
        w.push(fieldValue(v, name, program.r));
      } else {
        if (!Array.isArray(v) || v.length !== n) throw new InvalidInput(`input ${name} must be a list of ${n} values`);
        for (const x of v) w.push(fieldValue(x, name, program.r));
      }
    }
  }
  return w;
}

// The full witness (BigInt[], wire 0 = 1) for named inputs; throws Unsatisfied naming the first
// constraint the ops do not imply that fails, exactly as the Python DSL's `witness` does.
export function computeWitness(program, values) {
  const { r } = program;
  const w = bind(program, values);
  for (const op of program.ops) {
    const args = op.inputs.map((x) => evaluate(x, w, r));
    const out = HINTS[op.name](args, op.params, program);
    if (out.length !== op.nOut) throw new BadArtifact(`op ${op.name} computed ${out.length} wires, not ${op.nOut}`);
    for (const v of out) w.push(v);
  }
  if (w.length !== program.wires) throw new BadArtifact("the witness does not have the program's length");
  for (const { k, name, abc: [a, b, c] } of program.checks) {
    if ((evaluate(a, w, r) * evaluate(b, w, r)) % r !== evaluate(c, w, r)) {
      throw new Unsatisfied(`constraint #${k} (${name}) is not satisfied`);
    }
  }
  return w;
}

export function publicSignals(program, witness) {
  return witness.slice(1, program.nPublic + 1).map((x) => x.toString());
}

// --- hints: the twins of circuits/dsl.py's portable hints -----------------------------------------

function inverse(x, r) {
  // x^(r − 2) by square-and-multiply: BigInt has no modular inverse
  let result = 1n, base = x % r, e = r - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % r;
    base = (base * base) % r;
    e >>= 1n;
  }
  return result;
}

function permutation(spec, state, r, wires) {
  // wires: null to skip recording (plain hashing), else {out: [], constant: bool[], every}: every
  // `every`-th partial round also emits cells 1..t − 1 after its S-box (checkpoints)
  const { t, full, partial, constants, mds } = spec;
  const half = full / 2;
  let s = state.slice();
  for (let round = 0; round < full + partial; round++) {
    // cells that skip the S-box stay below 2r unreduced: the linear layer reduces them
    for (let i = 0; i < t; i++) s[i] += constants[round * t + i];
    const cells = round < half || round >= half + partial ? t : 1;
    for (let i = 0; i < cells; i++) {
      const x = s[i] % r;
      const x2 = (x * x) % r;
      const x4 = (x2 * x2) % r;
      s[i] = (x4 * x) % r;
      if (wires && !wires.constant[i]) wires.out.push(x2, x4, s[i]);
    }
    const partialRound = round - half;
    if (wires && cells === 1 && wires.every > 0 && (partialRound + 1) % wires.every === 0) {
      for (let i = 1; i < t; i++) if (!wires.constant[i]) wires.out.push(s[i] % r);
    }
    const mixed = new Array(t);
    for (let j = 0; j < t; j++) {
      const row = mds[j];
      let acc = 0n;
      for (let i = 0; i < t; i++) acc += row[i] * s[i];
      mixed[j] = acc % r;
    }
    s = mixed;
    if (wires && wires.constant.some((c) => !c)) wires.constant.fill(false);
  }
  return s;
}

const HINTS = {
  mul: ([a, b], _params, { r }) => [(a * b) % r],
  bits: ([x], [n]) => {
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = (x >> BigInt(i)) & 1n;
    return out;
  },
  inverse: ([x], _params, { r }) => [x === 0n ? 0n : inverse(x, r)],
  is_zero: ([x]) => [x === 0n ? 1n : 0n],
  poseidon: (words, [mask, every], { r, poseidon }) => {
    const spec = poseidon.get(words.length + 1);
    if (!spec) throw new BadArtifact(`no Poseidon constants for width ${words.length + 1}`);
    const constant = Array.from({ length: spec.t }, (_, i) => ((mask >> i) & 1) === 1);
    const wires = { out: [], constant, every };
    permutation(spec, [0n, ...words], r, wires);
    return wires.out;
  },
};

// Poseidon(inputs) as circomlib computes it, for the public inputs a wallet derives itself
// (identity commitment, nullifier, root from a path, queries hash); widths the program uses only.
export function poseidon(program, inputs) {
  const spec = program.poseidon.get(inputs.length + 1);
  if (!spec) throw new BadArtifact(`no Poseidon constants for ${inputs.length} inputs`);
  return permutation(spec, [0n, ...inputs.map((x) => fieldValue(x, "Poseidon input", program.r))], program.r, null)[0];
}

// --- .wtns (iden3 binary format, version 2) ------------------------------------------------------

// "wtns", version 2, two sections: 1 = header (field size 32, r little-endian, wire count),
// 2 = the wires, 32 bytes each, little-endian.
export function wtnsBytes(program, witness) {
  const modulus = program.r;
  const n = witness.length;
  const headerSize = 4 + 32 + 4;
  const bodySize = 32 * n;
  const out = new Uint8Array(4 + 4 + 4 + (4 + 8 + headerSize) + (4 + 8 + bodySize));
  const view = new DataView(out.buffer);
  let o = 0;
  out.set([0x77, 0x74, 0x6e, 0x73], o); o += 4;  // "wtns"
  view.setUint32(o, 2, true); o += 4;
  view.setUint32(o, 2, true); o += 4;
  const section = (kind, size) => {
    view.setUint32(o, kind, true); o += 4;
    view.setBigUint64(o, BigInt(size), true); o += 8;
  };
  const put = (x) => {
    let v = x;
    for (let i = 0; i < 32; i++) { out[o + i] = Number(v & 0xffn); v >>= 8n; }
    o += 32;
  };
  section(1, headerSize);
  view.setUint32(o, 32, true); o += 4;
  put(modulus);
  view.setUint32(o, n, true); o += 4;
  section(2, bodySize);
  for (const x of witness) {
    if (typeof x !== "bigint" || x < 0n || x >= modulus) throw new InvalidInput("a witness value is not in [0, r)");
    put(x);
  }
  return out;
}
