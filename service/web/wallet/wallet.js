// The wallet page: wires the vault (store.js), the holder's words (describe.js), QR codes (qr.js) and
// the prover (prove.js) to the screens of index.html. What it sends to the service: the request id it
// was handed, a pickup id, and finally a presentation (proof + public signals). Never the secret,
// an attribute, a nonce or a leaf index.

import { api, ApiError } from "/web/shared/api.js";
import { countdownWords, dateTimeWords, loadPresets, outcomeWords, requestWords } from "/web/shared/words.js";
import { credentialWords, refusalSentence } from "./describe.js";
import { collectPickup } from "./pickup.js";
import {
  checkCredential, idCommitment, lastTimings, newSecret, proveRequest, Refusal, refusalFor, warmProver,
} from "./prove.js";
import { qrSvg, readQrFromFile, scanWithCamera } from "./qr.js";
import { BadBackup, backupText, createVault, hasVault, restoreBackup, unlockVault, WrongPassphrase } from "./store.js";

const $ = (id) => document.getElementById(id);
const SCREENS = ["welcome", "unlock", "identity", "credentials", "safety", "consent", "proving", "result"];
const HOME = ["identity", "credentials", "safety"];

let vault = null; // the open vault (secret and credentials in memory only while open)
let presets = null; // the preset registry: words for questions and schemas
let commitment = null; // Poseidon(secret) as a decimal string
let pending = null; // what the link asked for: {request: id} or {pickup: "id.key"}
let current = null; // the request on the consent screen: {view, credential}
let lastReceipt = null;

function show(...ids) {
  for (const id of SCREENS) $(id).hidden = !ids.includes(id);
  window.scrollTo(0, 0);
}

function say(message) {
  $("error").textContent = message || "";
}

function problemText(err) {
  if (err instanceof ApiError || err instanceof Refusal || err instanceof WrongPassphrase || err instanceof BadBackup) {
    return err.message;
  }
  console.error(err); // a bug, not the holder's doing: keep it for whoever debugs the page
  return "Something went wrong on this page. Reload it and try again.";
}

function guard(action) {
  return async (event) => {
    if (event && event.preventDefault) event.preventDefault();
    say("");
    try {
      await action(event);
    } catch (err) {
      say(problemText(err));
    }
  };
}

/** Like guard, but the message appears next to the import controls, where the holder is looking. */
function guardImport(action) {
  return async (event) => {
    if (event && event.preventDefault) event.preventDefault();
    $("import-error").textContent = "";
    $("added").textContent = "";
    try {
      await action(event);
    } catch (err) {
      $("import-error").textContent = problemText(err);
    }
  };
}

function readHash() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("request")) return { request: hash.get("request") };
  if (hash.get("pickup")) return { pickup: hash.get("pickup") };
  return null;
}

function clearHash() {
  history.replaceState(null, "", location.pathname);
}

// --- opening the wallet ---

async function opened(v) {
  vault = v;
  vault.content.credentials = vault.content.credentials || [];
  vault.content.receipts = vault.content.receipts || [];
  // kept in the vault at creation, so that opening the wallet needs no download
  commitment = vault.content.id_commitment || await idCommitment(BigInt(vault.content.secret));
  $("status").textContent = "Unlocked on this phone";
  renderHome();
  await followLink();
}

const create = guard(async () => {
  const passphrase = $("new-passphrase").value;
  if (passphrase.length < 10) throw new Refusal("Choose a passphrase of at least 10 characters.");
  if (passphrase !== $("new-passphrase-again").value) throw new Refusal("The two passphrases differ. Type them again.");
  $("status").textContent = "Creating your wallet…";
  const secret = newSecret();
  const content = { version: 1, secret: secret.toString(), id_commitment: await idCommitment(secret), credentials: [],
    receipts: [] };
  await opened(await createVault(passphrase, content));
  $("create-form").reset();
});

const unlock = guard(async () => {
  $("status").textContent = "Opening…";
  try {
    await opened(await unlockVault($("passphrase").value));
    $("unlock-form").reset();
  } catch (err) {
    $("status").textContent = "Locked";
    throw err;
  }
});

const restore = guard(async () => {
  const file = $("restore-file").files[0];
  if (!file) throw new Refusal("Choose the backup file first.");
  await opened(await restoreBackup(await file.text(), $("restore-passphrase").value));
  $("restore-form").reset();
});

function lock() {
  vault = null;
  commitment = null;
  $("status").textContent = "Locked";
  $("unlock-why").textContent = "";
  $("id-qr").replaceChildren();
  $("credential-list").replaceChildren();
  show("unlock");
}

// --- home: identity, credentials, backup ---

function renderHome() {
  $("id-commitment").textContent = commitment;
  $("id-qr").replaceChildren(qrSvg(commitment));
  const list = $("credential-list");
  list.replaceChildren();
  for (const item of vault.content.credentials) {
    const words = credentialWords(item.credential, presets.schemas);
    const li = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = words.title;
    li.append(title);
    for (const line of words.lines) {
      const p = document.createElement("span");
      p.textContent = line;
      li.append(p);
    }
    list.append(li);
  }
  $("no-credentials").hidden = vault.content.credentials.length > 0;
  // what the holder has comes first once there is something; until then, the code to get it
  if (vault.content.credentials.length) $("identity").before($("credentials"));
  else $("credentials").before($("identity"));
  show(...HOME);
}

async function addCredential(text) {
  let parsed;
  try {
    parsed = typeof text === "string" ? JSON.parse(text) : text;
  } catch {
    throw new Refusal("This is not a credential file.");
  }
  const found = [];
  if (parsed && Array.isArray(parsed.credentials)) found.push(...parsed.credentials); // an issuer's whole answer
  else found.push(parsed);
  let added = 0;
  for (const entry of found) {
    // an issuer's answer wraps each credential with its leaf index; a bare credential carries its own
    const raw = entry && entry.credential ? { leaf_index: entry.leaf_index, ...entry.credential } : entry;
    const credential = checkCredential(raw, presets.schemas, commitment);
    const duplicate = vault.content.credentials.some((c) => c.credential.issuer === credential.issuer
      && c.credential.nonce === credential.nonce);
    if (!duplicate) {
      vault.content.credentials.push({ id: crypto.randomUUID(), added_ms: Date.now(), credential });
      added += 1;
    }
  }
  if (added) await vault.save();
  renderHome();
  const titles = found.map((c) => credentialWords(c.credential || c, presets.schemas).title);
  $("added").textContent = added ? `Added: ${titles.join(", ")}.` : "That credential is already in your wallet.";
}

async function addFromText(text) {
  const trimmed = text.trim();
  const hashAt = trimmed.indexOf("#pickup=");
  if (hashAt >= 0) return addCredential(await collectPickup(trimmed.slice(hashAt + "#pickup=".length)));
  return addCredential(trimmed);
}

const fromFile = guardImport(async () => {
  const file = $("credential-file").files[0];
  $("credential-file").value = "";
  if (file) await addCredential(await file.text());
});

const fromQrFile = guardImport(async () => {
  const file = $("qr-file").files[0];
  $("qr-file").value = "";
  if (!file) return;
  const text = await readQrFromFile(file);
  if (!text) throw new Refusal("No QR code was found in that picture. Try a sharper, closer one.");
  await addFromText(text);
});

let scanning = null;
const fromCamera = guardImport(async () => {
  if (scanning) {
    scanning.abort();
    return;
  }
  scanning = new AbortController();
  $("scan").textContent = "Stop the camera";
  try {
    const text = await scanWithCamera($("camera"), scanning.signal);
    if (text) await addFromText(text);
  } catch (err) {
    if (err && err.name === "NotAllowedError") throw new Refusal("The camera is not allowed for this page.");
    if (err && err.name === "NotFoundError") throw new Refusal("This device has no camera. Use a picture instead.");
    throw err;
  } finally {
    scanning = null;
    $("scan").textContent = "Scan a QR code with the camera";
  }
});

const fromPickup = guardImport(async () => {
  await addFromText($("pickup-link").value);
  $("pickup-form").reset();
});

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const backup = guard(async () => {
  download(`zkelig-wallet-backup-${new Date().toISOString().slice(0, 10)}.json`, await backupText());
});

// --- a request link: consent, prove, receipt ---

async function followLink() {
  const link = pending || readHash();
  pending = null;
  if (!link) return;
  clearHash();
  if (link.pickup) {
    await addCredential(await collectPickup(link.pickup));
    return;
  }
  await openRequest(link.request);
}

function refuseBeforeProving(text) {
  $("refusal").textContent = text;
  $("refusal").hidden = false;
  $("prove").hidden = true;
  $("decline").textContent = "Close";
}

async function openRequest(requestId) {
  const view = await api(`/v1/requests/${encodeURIComponent(requestId)}`);
  const words = requestWords(view);
  current = { view, credential: null };
  $("asker").textContent = view.verifier_name || view.verifier;
  $("question").textContent = words.question;
  $("single-use").textContent = `You can answer once for “${view.request.scope}”. A second answer from you there`
    + " would be refused, without revealing who you are.";
  const expires = view.expires_at_ms ?? Date.parse(view.expires_at);
  const tick = () => {
    if (!current || current.view !== view) return clearInterval(ticker);
    const left = expires - Date.now();
    $("expires").textContent = `${dateTimeWords(expires)} (${left > 0 ? `${countdownWords(left)} left` : "expired"})`;
    if (left <= 0 && !$("prove").hidden && $("consent").hidden === false) {
      refuseBeforeProving("This request has expired. Ask for a new one.");
    }
  };
  const ticker = setInterval(tick, 1000);
  tick();
  $("refusal").hidden = true;
  $("prove").hidden = false;
  // enabled once a credential that can answer is chosen below: a tap before that (a slow phone, a
  // quick thumb) would prove with no credential
  $("prove").disabled = true;
  $("decline").textContent = "Not now";
  $("using").textContent = "";
  $("using-term").hidden = $("using").hidden = true;
  show("consent");
  if (expires <= Date.now()) return refuseBeforeProving("This request has expired. Ask for a new one.");
  if (view.answered) return refuseBeforeProving("This request was already answered. Each request is answered once.");
  warmUp();
  const candidates = vault.content.credentials.map((c) => c.credential)
    .filter((c) => c.schema === view.request.schema);
  if (!candidates.length) {
    const issuers = view.request.issuers.join(" or ");
    return refuseBeforeProving(`You have no credential of this kind. Ask ${issuers} for one.`);
  }
  const secret = BigInt(vault.content.secret);
  const refusals = await Promise.all(candidates.map((c) => refusalFor(c, secret, view.request)));
  const usable = candidates.find((_, i) => refusals[i] === null);
  const shown = usable || candidates.find((c) => view.request.issuers.includes(c.issuer)) || candidates[0];
  const card = credentialWords(shown, presets.schemas);
  $("using").textContent = `${card.title}: ${card.lines[0]}`;
  $("using-term").hidden = $("using").hidden = false;
  if (!usable) {
    const why = refusalSentence(view, shown, refusals[candidates.indexOf(shown)], presets.schemas);
    return refuseBeforeProving(`You cannot answer yes. ${why}`);
  }
  current.credential = usable;
  $("prove").disabled = false;
}

/**
 * The holder reads the consent screen for a few seconds: get the prover ready meanwhile (prove.js
 * warmProver), so that the tap pays only for the proof. Started for every open request, before the
 * wallet looks at its credentials: the downloads are then the same whether the holder can answer or
 * not, and the service learns nothing from them. Not awaited: the screen stays live, and a tap before
 * it is done waits for the same work.
 */
function warmUp() {
  document.body.dataset.prover = "warming";
  warmProver().then((ready) => {
    document.body.dataset.prover = ready ? "ready" : "failed"; // tests and the benchmark read this
  });
}

const prove = guard(async (event) => {
  const tapped = event && event.timeStamp ? event.timeStamp : performance.now();
  if (!current || !current.credential) return; // the button is disabled until then
  const { view, credential } = current;
  show("proving");
  const step = (fraction, text) => {
    $("progress").value = Math.round(fraction * 100);
    $("step").textContent = text;
  };
  const started = Date.now();
  $("elapsed").textContent = "";
  const ticking = setInterval(() => {
    $("elapsed").textContent = `${Math.round((Date.now() - started) / 1000)} seconds so far`;
  }, 1000);
  let presentation;
  try {
    presentation = await proveRequest({ view, credential, secret: BigInt(vault.content.secret), onStep: step });
  } catch (err) {
    show("consent");
    if (err instanceof Refusal) return refuseBeforeProving(err.message);
    throw err;
  } finally {
    clearInterval(ticking);
  }
  step(0.97, "Sending the proof…");
  const sent = performance.now();
  let receipt;
  try {
    const path = `/v1/requests/${encodeURIComponent(view.request_id)}/presentations`;
    receipt = await api(path, { body: { presentation } });
  } catch (err) {
    show("consent");
    throw err;
  }
  step(1, "Done");
  const answered = performance.now();
  vault.content.receipts.push({ request_id: view.request_id, received_ms: Date.now(), receipt });
  await vault.save();
  showReceipt(view, receipt);
  Object.assign(lastTimings, { submit_ms: answered - sent, save_ms: performance.now() - answered });
  // the holder sees the receipt at the next frame: tap to that frame is what the benchmark reports
  requestAnimationFrame(() => { lastTimings.tap_ms = performance.now() - tapped; });
});

function fact(list, term, text) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = text;
  list.append(dt, dd);
}

function showReceipt(view, receipt) {
  lastReceipt = receipt;
  const body = receipt.body || {};
  const outcome = outcomeWords({ question: { preset: view.preset, params: view.params }, ...body });
  const box = $("outcome");
  box.className = `outcome ${outcome.ok ? "ok" : "no"}`;
  box.textContent = outcome.ok ? "Accepted" : "Refused";
  const small = document.createElement("small");
  small.textContent = outcome.ok
    ? `${view.verifier_name || view.verifier} now knows: ${outcome.text.replace(/^Eligible: /, "yes, ")}. Nothing else.`
    : outcome.text.replace(/^Not accepted: /, "Why: ");
  box.append(small);
  const facts = $("receipt-facts");
  facts.replaceChildren();
  fact(facts, "Asked by", view.verifier_name || view.verifier);
  fact(facts, "Question", requestWords(view).question);
  if (body.log_index !== undefined) fact(facts, "Ledger entry", `number ${body.log_index}`);
  fact(facts, "Receipt", "signed by the ledger; keep it as proof of what you answered");
  show("result");
}

const downloadReceipt = () => {
  if (lastReceipt) download(`zkelig-receipt-${Date.now()}.json`, JSON.stringify(lastReceipt, null, 1));
};

function done() {
  current = null;
  renderHome();
}

// --- start ---

async function start() {
  for (const [id, handler] of [["create-form", create], ["unlock-form", unlock], ["restore-form", restore],
    ["pickup-form", fromPickup]]) $(id).addEventListener("submit", handler);
  $("credential-file").addEventListener("change", fromFile);
  $("qr-file").addEventListener("change", fromQrFile);
  $("scan").addEventListener("click", fromCamera);
  $("backup").addEventListener("click", backup);
  $("lock").addEventListener("click", lock);
  $("copy-id").addEventListener("click", guard(() => navigator.clipboard.writeText(commitment)));
  $("prove").addEventListener("click", prove);
  $("decline").addEventListener("click", () => done());
  $("receipt-download").addEventListener("click", downloadReceipt);
  $("done").addEventListener("click", done);
  window.addEventListener("hashchange", guard(async () => {
    if (vault) await followLink();
    else pending = readHash();
  }));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/web/wallet/sw.js", { scope: "/wallet" }).catch(() => {
      /* no offline copy: the page still works online */
    });
  }
  presets = await loadPresets();
  pending = readHash();
  $("unlock-why").textContent = pending && pending.request ? "A question is waiting for you. Open your wallet to see"
    + " who asks and what." : pending && pending.pickup ? "A credential is waiting for you to collect it." : "";
  show((await hasVault()) ? "unlock" : "welcome");
  document.body.dataset.ready = "true"; // tests wait for this before they act
}

start().catch((err) => say(problemText(err)));
