// The hospital desk: sign in with the verifier's API key (kept for this tab only), ask a question from the
// presets, show the patient a QR code and link with a countdown, and see the answer arrive live (the
// request's event stream; polling as the fallback), with its signed receipt checked here in the browser.
// The page sends the server only the key, the question and the ids it was given: nothing personal exists.

import { api, ApiError } from "/web/shared/api.js";
import {
  countdownWords, durationWords, loadPresets, outcomeWords, requestWords, timeWords, titleWords,
} from "/web/shared/words.js";
import { receiptSignatureValid } from "/web/shared/receipt.js";

const KEY_ITEM = "zkelig.desk.key"; // sessionStorage: gone when the tab closes
const $ = (id) => document.getElementById(id);

const desk = { key: null, verifier: null, presets: null, current: null, stream: null, poll: null, timer: null };

// --- signing in ---

async function signIn(key) {
  const me = await api("/v1/whoami", { key });
  if (me.role !== "verifier") {
    throw new ApiError(403, "forbidden", "This key is not a verifier's key: ask your administrator for the desk's key.");
  }
  desk.key = key;
  desk.verifier = me.subject;
  sessionStorage.setItem(KEY_ITEM, key);
  $("verifier-name").textContent = me.display_name || me.subject;
  $("sign-out").hidden = false;
  $("sign-in-view").hidden = true;
  $("desk-view").hidden = false;
  fillDefaults();
  await refreshToday();
}

function signOut() {
  sessionStorage.removeItem(KEY_ITEM);
  location.reload();
}

// --- the question ---

// The scope decides what "once" means: a claim is answered once per claim reference, an enrolment once per
// person and year across insurers; other checks get a fresh scope each time, so answers cannot be linked.
function freshScope() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `${desk.verifier}/check/${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// The desk's choices: every preset, and enrolment (insured on a day, once per period in a shared scope).
function choices() {
  const year = new Date().getFullYear();
  const out = Object.keys(desk.presets.presets).map((name) => ({ value: name, preset: name, scope: freshScope }));
  const claims = out.find((c) => c.preset === "reimbursable");
  if (claims) {
    claims.reference = true;
    claims.scope = () => `${desk.verifier}/claims/${($("claim-ref") || {}).value || ""}`;
  }
  out.push({ value: "enrolment", preset: "insured_on", scope: () => `insurance-enrolment/${year}`,
             label: `Enrolment: insured, once per person in ${year} across insurers` });
  return out;
}

function choice() {
  return choices().find((c) => c.value === $("preset").value);
}

function labelOf(c) {
  return c.label || desk.presets.presets[c.preset].label;
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function renderParams() {
  const c = choice();
  const p = desk.presets.presets[c.preset];
  const box = $("params");
  box.replaceChildren();
  for (const param of p.params) {
    const id = `param-${param.name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = param.label;
    const input = document.createElement("input");
    input.id = id;
    input.name = param.name;
    input.required = !!param.required;
    if (param.kind === "integer") {
      Object.assign(input, { type: "number", min: param.min ?? 0, max: param.max ?? 1000, step: 1 });
      input.value = param.default ?? "";
    } else if (param.kind === "date") {
      input.type = "date";
      input.value = today();
    } else if (param.kind === "money") {
      Object.assign(input, { type: "number", min: 0, step: "0.01", inputMode: "decimal", placeholder: "1250.00" });
      label.append(` (${desk.presets.currency})`);
    } else if (param.kind === "codes") {
      Object.assign(input, { type: "text", placeholder: "7, 9", inputMode: "numeric" });
      label.append(" ");
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = "(plan numbers, comma separated)";
      label.append(hint);
    }
    input.addEventListener("input", preview);
    box.append(label, input);
  }
  if (c.reference) {
    const label = document.createElement("label");
    label.htmlFor = "claim-ref";
    label.textContent = "Claim reference ";
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = "(each claim is reimbursed once)";
    label.append(hint);
    const input = Object.assign(document.createElement("input"), { id: "claim-ref", name: "claim-ref", required: true });
    input.addEventListener("input", () => { $("scope").value = c.scope(); });
    box.append(label, input);
  }
  const stored = JSON.parse(localStorage.getItem(`zkelig.desk.issuers.${p.schema}`) || "null");
  $("issuers").value = stored || "";
  $("issuers").placeholder = p.schema === "person.v1" ? "civil-registry" : "insurer-a, insurer-b";
  $("scope").value = c.scope();
  preview();
}

// The form's parameters as the API takes them; throws an ApiError-like message for the page when invalid.
function params() {
  const p = desk.presets.presets[choice().preset];
  const out = {};
  for (const param of p.params) {
    const raw = $(`param-${param.name}`).value.trim();
    if (!raw) {
      if (param.required) throw new Error(`Fill in “${param.label}”.`);
      continue;
    }
    if (param.kind === "integer") out[param.name] = Number.parseInt(raw, 10);
    else if (param.kind === "date") out[param.name] = raw;
    else if (param.kind === "money") {
      if (!/^\d+(\.\d{1,2})?$/.test(raw)) throw new Error(`${param.label}: write an amount such as 1250.00.`);
      const [units, cents = ""] = raw.split(".");
      out[param.name] = Number(BigInt(units) * 100n + BigInt(cents.padEnd(2, "0")));
    } else if (param.kind === "codes") {
      const codes = raw.split(/[\s,;]+/).filter(Boolean);
      if (!codes.every((x) => /^\d+$/.test(x))) throw new Error(`${param.label}: write plan numbers such as 7, 9.`);
      out[param.name] = codes.map(Number);
    }
  }
  return out;
}

function preview() {
  try {
    const c = choice();
    const shown = Object.fromEntries(Object.entries(params()).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : v]));
    const p = desk.presets.presets[c.preset];
    for (const param of p.params) if (param.kind === "date" && !(param.name in shown)) shown[param.name] = today();
    $("preview").textContent = requestWords({ preset: c.preset, params: shown }).question;
  } catch (err) {
    $("preview").textContent = err.message;
  }
}

function fillDefaults() {
  const select = $("preset");
  select.replaceChildren(...choices().map((c) => new Option(labelOf(c), c.value)));
  select.addEventListener("change", renderParams);
  renderParams();
}

async function ask(event) {
  event.preventDefault();
  $("ask-error").textContent = "";
  const c = choice();
  let body;
  try {
    const issuers = $("issuers").value.split(/[\s,;]+/).filter(Boolean);
    if (!issuers.length) {
      $("issuers").closest("details").open = true;
      throw new Error("Name at least one accepted issuer (under “Who vouches”).");
    }
    if (c.reference && !$("claim-ref").value.trim()) throw new Error("Fill in the claim reference.");
    body = { preset: c.preset, params: params(), issuers, scope: $("scope").value.trim() };
    localStorage.setItem(`zkelig.desk.issuers.${desk.presets.presets[c.preset].schema}`,
      JSON.stringify(issuers.join(", ")));
  } catch (err) {
    $("ask-error").textContent = err.message;
    return;
  }
  $("ask-button").disabled = true;
  try {
    const made = await api(`/v1/verifiers/${encodeURIComponent(desk.verifier)}/requests`, { body, key: desk.key });
    if (c.scope === freshScope) $("scope").value = freshScope(); // the next question gets its own
    show(made);
  } catch (err) {
    $("ask-error").textContent = err.message;
  } finally {
    $("ask-button").disabled = false;
  }
}

// --- the patient's side of the screen ---

function show(made) {
  stopWatching();
  const skew = made.created_at_ms - Date.now(); // server clock minus ours, near enough for a countdown
  desk.current = { ...made, skew, decided: false, closed: false, receipt: null };
  $("patient").hidden = false;
  $("patient").classList.remove("closed");
  $("asked").textContent = requestWords(made).question;
  $("qr").src = `/v1/requests/${encodeURIComponent(made.request_id)}/qr.svg`;
  $("link").href = made.link;
  $("link").textContent = made.link;
  setOutcome("wait", "Waiting for the patient's answer…", "Ask the patient to scan the code with their wallet.");
  $("receipt-row").hidden = true;
  tick();
  desk.timer = setInterval(tick, 250);
  watch(made.request_id);
}

function tick() {
  const c = desk.current;
  if (!c) return;
  if (c.closed) return;
  const left = c.expires_at_ms - (Date.now() + c.skew);
  if (left > 0) {
    $("expiry").replaceChildren("Expires in ", Object.assign(document.createElement("span"),
      { className: "countdown", textContent: countdownWords(left) }));
    return;
  }
  close("This code has expired.");
  if (!c.decided) {
    setOutcome("no", "Request expired", "No answer came in time. Ask the question again for a new code.");
    stopWatching();
  }
}

// The request takes no more answers (answered, or expired): take the code off the screen.
function close(words) {
  desk.current.closed = true;
  clearInterval(desk.timer);
  $("patient").classList.add("closed");
  $("expiry").textContent = words;
}

function setOutcome(kind, text, detail) {
  const box = $("outcome");
  box.className = `outcome ${kind}`;
  box.replaceChildren(document.createTextNode(text));
  if (detail) {
    const small = document.createElement("small");
    small.textContent = detail;
    box.append(small);
  }
}

// Live: the request's public stream says that a decision was made; the receipt comes from the verifier's
// own decisions (with the key). Without event streams, poll the decisions every second.
function watch(requestId) {
  if ("EventSource" in window) {
    const stream = new EventSource(`/v1/requests/${encodeURIComponent(requestId)}/events`);
    stream.addEventListener("decision", () => collect(requestId));
    stream.addEventListener("error", () => {
      if (stream.readyState === EventSource.CLOSED) startPolling(requestId);
    });
    desk.stream = stream;
  } else {
    startPolling(requestId);
  }
}

function startPolling(requestId) {
  if (!desk.poll) desk.poll = setInterval(() => collect(requestId), 1000);
}

function stopWatching() {
  if (desk.stream) desk.stream.close();
  if (desk.poll) clearInterval(desk.poll);
  if (desk.timer) clearInterval(desk.timer);
  desk.stream = desk.poll = desk.timer = null;
}

async function collect(requestId) {
  const c = desk.current;
  if (!c || c.request_id !== requestId) return;
  let found;
  try {
    found = await api(`/v1/verifiers/${encodeURIComponent(desk.verifier)}/decisions?since_ms=${c.created_at_ms}&limit=50`,
      { key: desk.key });
  } catch {
    return; // the next event or poll tries again
  }
  const mine = found.decisions.filter((d) => d.request_id === requestId);
  if (!mine.length) return;
  const latest = mine[0]; // newest first
  if (c.receipt && c.receipt.signature === latest.receipt.signature) return;
  c.decided = true;
  c.receipt = latest.receipt;
  if (mine.some((d) => d.decision === "accepted")) close("Answered: this code takes no more answers.");
  const said = outcomeWords(latest.receipt.body);
  const taken = durationWords(latest.decided_at_ms - c.created_at_ms);
  const detail = said.ok
    ? `Answered in ${taken}, at ${timeWords(latest.decided_at_ms)}.`
    : `At ${timeWords(latest.decided_at_ms)}, ${taken} after the question was shown.`;
  setOutcome(said.ok ? "ok" : "no", said.text, detail);
  $("receipt-row").hidden = false;
  const check = $("receipt-check");
  check.className = "badge";
  check.textContent = "Checking the receipt…";
  const valid = await receiptSignatureValid(latest.receipt);
  check.className = `badge ${valid ? "ok" : "no"}`;
  check.textContent = valid ? "Receipt verified: signed by the ledger" : "Receipt NOT verified: do not rely on it";
  await refreshToday();
}

function download(receipt) {
  const blob = new Blob([JSON.stringify(receipt, null, 1)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `receipt-${receipt.body.request_id}-${receipt.body.decided_at_ms}.json`;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// --- today's answers ---

function questionOf(body) {
  const q = body.question || {};
  if (q.preset) return titleWords(q.preset, q.params);
  return requestWords({ preset: null, request: { schema: q.schema, queries: q.queries || [] } }).title;
}

async function refreshToday() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  let found;
  try {
    found = await api(`/v1/verifiers/${encodeURIComponent(desk.verifier)}/decisions?since_ms=${midnight.getTime()}&limit=50`,
      { key: desk.key });
  } catch (err) {
    $("today-empty").textContent = err.message;
    return;
  }
  const rows = found.decisions.map((d) => {
    const tr = document.createElement("tr");
    const said = outcomeWords(d.receipt.body);
    const cells = [timeWords(d.decided_at_ms), questionOf(d.receipt.body), said.text];
    for (const [i, text] of cells.entries()) {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 2) td.className = said.ok ? "ok" : "no";
      tr.append(td);
    }
    const td = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = "Download";
    button.setAttribute("aria-label", `Download the receipt of ${timeWords(d.decided_at_ms)}`);
    button.addEventListener("click", () => download(d.receipt));
    td.append(button);
    tr.append(td);
    return tr;
  });
  $("today").replaceChildren(...rows);
  $("today-empty").hidden = rows.length > 0;
}

// --- wiring ---

async function start() {
  desk.presets = await loadPresets();
  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    try {
      await signIn($("api-key").value.trim());
    } catch (err) {
      $("sign-in-error").textContent = err.message;
    }
  });
  $("sign-in").querySelector("button").disabled = false; // only now would a click be handled here
  $("sign-out").addEventListener("click", signOut);
  $("ask").addEventListener("submit", ask);
  $("download").addEventListener("click", () => desk.current && desk.current.receipt && download(desk.current.receipt));
  $("copy").addEventListener("click", async (event) => {
    event.preventDefault();
    try {
      await navigator.clipboard.writeText($("link").href);
      $("copy").textContent = "Copied";
    } catch {
      $("copy").textContent = "Select the link to copy it";
    }
  });
  const saved = sessionStorage.getItem(KEY_ITEM);
  if (saved) {
    try {
      await signIn(saved);
    } catch {
      sessionStorage.removeItem(KEY_ITEM);
    }
  }
}

start();
