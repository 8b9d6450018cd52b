// The regulator's page: the ledger's latest signed head verified here in the browser (signature, and a
// consistency proof from the head this browser verified last, kept in localStorage), plots and tables of the
// public statistics with CSV download, the service's own counts for an auditor key (kept for this tab only,
// sent only as the Authorization header), and the check of an insurer's signed reimbursed total.
// Nothing personal exists on this page: the ledger holds commitments, counts and scope names only.

import { api, ApiError } from "/web/shared/api.js";
import {
  countWords, dateTimeWords, dateWords, entryKindWords, loadPresets, metricWords, moneyWords, periodWords,
  refusalWords,
} from "/web/shared/words.js";
import { checkLatestHead, HeadError, parseCheckpoint } from "/web/regulator/heads.js";
import { drawBars, series } from "/web/regulator/plots.js";

const HEAD_ITEM = "zkelig.regulator.head"; // localStorage: {checkpoint, verifiedMs} of the last head verified here
const AUDITOR_ITEM = "zkelig.regulator.auditor"; // sessionStorage: gone when the tab closes
const STATEMENT = "zkelig/funds-total/v1";
const $ = (id) => document.getElementById(id);

// --- the signed head ---

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function stored() {
  try {
    const item = JSON.parse(localStorage.getItem(HEAD_ITEM) || "null");
    return item && typeof item.checkpoint === "string" ? item : null;
  } catch {
    return { checkpoint: "(unreadable)", verifiedMs: 0 };
  }
}

function status(kind, text, detail) {
  const box = $("head-status");
  box.className = `outcome ${kind}`;
  box.replaceChildren(text);
  if (detail) {
    const small = document.createElement("small");
    small.textContent = detail;
    box.append(small);
  }
}

function showHead(head) {
  $("head-size").textContent = countWords(Number(head.size), "entry", "entries");
  $("head-time").textContent = dateTimeWords(head.timestampMs);
  const root = hex(head.root);
  $("head-root").textContent = `${root.slice(0, 12)}…${root.slice(-6)}`;
  $("head-root").title = root;
}

function sizeOf(checkpoint) {
  try {
    return countWords(Number(parseCheckpoint(checkpoint).size), "entry", "entries");
  } catch {
    return "an unreadable head";
  }
}

// After a failed check: what the service now presents, marked as not verified.
async function showUnverified() {
  try {
    const head = parseCheckpoint((await api("/v1/ledger/head")).checkpoint);
    showHead(head);
    $("head-size").append(" (not verified)");
    document.querySelector(".facts").classList.add("unverified");
  } catch {
    /* nothing readable to show: the facts keep their placeholders */
  }
}

async function checkHead() {
  const before = stored();
  $("head-verified").textContent = before && before.verifiedMs ? dateTimeWords(before.verifiedMs) : "never";
  status("wait", "Checking the ledger's signed head…");
  try {
    const { head, text } = await checkLatestHead(api, before && before.checkpoint);
    const now = Date.now();
    localStorage.setItem(HEAD_ITEM, JSON.stringify({ checkpoint: text, verifiedMs: now }));
    showHead(head);
    document.querySelector(".facts").classList.remove("unverified");
    $("head-verified").textContent = dateTimeWords(now);
    const grown = before ? `It extends the head this browser verified on ${dateTimeWords(before.verifiedMs)} ` +
      `(${sizeOf(before.checkpoint)}): the log was only appended to since.`
      : "This is the first head this browser has seen: the next visit checks that the log only grew from here.";
    status("ok", "Verified: signed by the ledger's key.", grown);
  } catch (err) {
    if (err instanceof HeadError) {
      status("warn", `Warning: this ledger failed a check: ${err.message}.`,
        "Do not rely on this ledger's figures. Keep this page open as evidence and tell the ledger's operator and " +
        `the other auditors. The last head verified here (${before ? sizeOf(before.checkpoint) : "none"}) is kept.`);
      await showUnverified();
    } else {
      status("no", "The ledger's head could not be checked.", err.message);
    }
  }
}

// --- statistics ---

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function subjectWords(row) {
  return row.metric === "entries" ? entryKindWords(row.subject) : row.subject;
}

function detailWords(row) {
  if (row.metric === "answers_refused") return refusalWords(row.detail);
  if (row.metric === "nullifiers") return `recorded by ${row.detail}`;
  return row.detail;
}

function fillTable(body, rows) {
  body.replaceChildren(...[...rows].reverse().map((r) => {
    const tr = document.createElement("tr");
    tr.append(cell(dateWords(r.day)), cell(metricWords(r.metric)), cell(subjectWords(r)), cell(detailWords(r)),
              cell(r.count.toLocaleString("en-GB"), "num"));
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell("Nothing counted yet.");
    td.colSpan = 5;
    tr.append(td);
    body.append(tr);
  }
}

async function downloadCsv(path, name, key) {
  const text = await api(`${path}?format=csv`, { key, accept: "text/csv" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

let insurersFilled = false;

async function loadLedgerStatistics() {
  $("stats-error").textContent = "";
  let stats;
  try {
    stats = await api("/v1/statistics/ledger");
  } catch (err) {
    $("stats-error").textContent = err.message;
    return;
  }
  const rows = stats.rows;
  drawBars($("plot-entries"), series(rows, (r) => r.metric === "entries", (r) => entryKindWords(r.subject)),
    "No entries yet");
  const credentials = (r) => r.metric === "credentials_issued" || r.metric === "credentials_revoked";
  drawBars($("plot-issuers"), series(rows, credentials,
    (r) => `${r.subject}: ${r.metric === "credentials_issued" ? "issued" : "revoked"}`), "No credentials yet");
  drawBars($("plot-scopes"), series(rows, (r) => r.metric === "nullifiers", (r) => r.subject), "No answers yet");
  fillTable($("ledger-rows"), rows);
  if (!insurersFilled) fillInsurers(rows);
}

async function loadServiceStatistics(key) {
  $("auditor-error").textContent = "";
  let stats;
  try {
    stats = await api("/v1/statistics/service", { key });
  } catch (err) {
    $("auditor-error").textContent = err instanceof ApiError && err.status === 403
      ? "This key is not an auditor's key." : err.message;
    return false;
  }
  sessionStorage.setItem(AUDITOR_ITEM, key);
  $("auditor-forget").hidden = false;
  $("refusals-locked").hidden = true;
  $("refusals-chart").hidden = false;
  drawBars($("plot-refusals"), series(stats.rows, (r) => r.metric === "answers_refused", (r) => refusalWords(r.detail)),
    "No answer refused");
  fillTable($("service-rows"), stats.rows);
  $("service-view").hidden = false;
  return true;
}

function forgetAuditor() {
  sessionStorage.removeItem(AUDITOR_ITEM);
  location.reload();
}

// --- reimbursed totals ---

function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

function fillInsurers(rows) {
  const issuers = [...new Set(rows.filter((r) => r.metric === "issuers_registered").map((r) => r.subject))].sort();
  const claims = new Set(rows.filter((r) => r.metric === "claims").map((r) => r.subject));
  issuers.sort((a, b) => claims.has(b) - claims.has(a)); // the insurers with claims first
  $("insurer").replaceChildren(...issuers.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = claims.has(name) ? name : `${name} (no claims on the ledger)`;
    return option;
  }));
  insurersFilled = issuers.length > 0;
}

function fundsResult(ok, text, detail) {
  const box = $("funds-result");
  box.hidden = false;
  box.className = `outcome ${ok ? "ok" : "no"}`;
  box.replaceChildren(text);
  if (detail) {
    const small = document.createElement("small");
    small.textContent = detail;
    box.append(small);
  }
}

function readStatement() {
  let signed;
  try {
    signed = JSON.parse($("statement").value);
  } catch {
    throw new Error("This is not a statement: paste the insurer's signed total as published (JSON).");
  }
  const body = signed && signed.body;
  if (!body || body.statement !== STATEMENT || typeof signed.signature !== "string") {
    throw new Error("This is not an insurer's signed total: it has no body and signature of a funds total.");
  }
  if (!Number.isSafeInteger(body.amount_cents) || body.amount_cents < 0 || !Number.isSafeInteger(body.claims)) {
    throw new Error("The statement's amount and number of claims must be whole numbers.");
  }
  return signed;
}

async function checkFunds(event) {
  event.preventDefault();
  $("funds-result").hidden = true; // a new check: the last result must not stand in for this one
  $("funds-result").replaceChildren();
  const insurer = $("insurer").value;
  const from = $("period-from").value;
  const to = $("period-to").value;
  let signed;
  try {
    signed = readStatement();
  } catch (err) {
    fundsResult(false, err.message);
    return;
  }
  const body = signed.body;
  if (body.payer !== insurer || body.from !== from || body.to !== to) {
    fundsResult(false, `This statement is ${body.payer}'s total for ${periodWords(body.from, body.to)}, not ` +
      `${insurer}'s for ${periodWords(from, to)}.`, "Choose the insurer and period the statement is for.");
    return;
  }
  const amount = moneyWords(body.amount_cents);
  const published = `The total published by ${insurer} for ${periodWords(from, to)}, ${amount},`;
  let result;
  try {
    result = await api("/v1/funds/check", { body: signed });
  } catch (err) {
    fundsResult(false, `${published} could not be checked.`, err.message);
    return;
  }
  const n = result.claims_on_ledger;
  if (result.ok) {
    fundsResult(true, n ? `${published} matches the ${countWords(n, "claim")} on the ledger.`
      : `${published} matches the ledger: it holds no claim for the period.`,
    "The sum of the claims' commitments opens to this total: no claim is missing, added or altered.");
  } else if (n !== null && n !== body.claims) {
    fundsResult(false, `${published} does not match the ledger.`,
      `The ledger holds ${countWords(n, "claim")} for ${insurer} in the period; the statement counts ${body.claims}.`);
  } else {
    fundsResult(false, `${published} does not match the ledger.`, sentence(result.problem));
  }
}

function sentence(text) {
  const t = String(text || "").trim();
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

async function loadStatementFile() {
  const file = $("statement-file").files[0];
  if (file) $("statement").value = await file.text();
}

// --- wiring ---

async function start() {
  await loadPresets();
  const today = new Date();
  $("period-from").value = utcDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)));
  $("period-to").value = utcDay(today);
  $("recheck").addEventListener("click", async () => {
    await checkHead();
    await loadLedgerStatistics();
  });
  $("download-ledger").addEventListener("click", () =>
    downloadCsv("/v1/statistics/ledger", "zkelig-ledger-statistics.csv").catch((err) => {
      $("stats-error").textContent = err.message;
    }));
  $("download-service").addEventListener("click", () =>
    downloadCsv("/v1/statistics/service", "zkelig-service-statistics.csv", sessionStorage.getItem(AUDITOR_ITEM))
      .catch((err) => { $("auditor-error").textContent = err.message; }));
  $("auditor").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("auditor-key").value.trim();
    if (!key) {
      $("auditor-error").textContent = "Enter the auditor key first.";
      return;
    }
    if (await loadServiceStatistics(key)) $("auditor-key").value = "";
  });
  $("auditor-forget").addEventListener("click", forgetAuditor);
  $("funds").addEventListener("submit", checkFunds);
  $("statement-file").addEventListener("change", loadStatementFile);
  await Promise.all([checkHead(), loadLedgerStatistics()]);
  const key = sessionStorage.getItem(AUDITOR_ITEM);
  if (key) await loadServiceStatistics(key);
  document.body.dataset.ready = "true";
}

start();
