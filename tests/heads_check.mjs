// Driven by test_regulator_heads_js.py: reads cases as JSON on stdin, prints one verdict per case.
import { verifyCheckpoint, verifyConsistency } from "../service/web/regulator/heads.js";

const b64 = (s) => Uint8Array.from(Buffer.from(s, "base64"));
const cases = JSON.parse(await new Promise((done) => {
  let text = "";
  process.stdin.on("data", (d) => (text += d)).on("end", () => done(text));
}));
const out = [];
for (const c of cases) {
  try {
    const key = b64(c.key);
    const first = await verifyCheckpoint(c.first, key);
    const second = await verifyCheckpoint(c.second, key);
    await verifyConsistency(first.size, second.size, c.proof.map(b64), first.root, second.root);
    out.push("ok");
  } catch (err) {
    out.push(`refused: ${err.message}`);
  }
}
console.log(JSON.stringify(out));
