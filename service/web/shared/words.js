// Words for everything a page shows: dates, amounts, questions, answers and refusals. Derived from the
// preset registry the service publishes (GET /v1/presets), so every page says a thing the same way.
// Call `await loadPresets()` once before the other functions.

import { api } from "./api.js";

let registry = null;
let loading = null;

export async function loadPresets() {
  if (registry) return registry;
  loading = loading || api("/v1/presets").then((r) => (registry = r));
  return loading;
}

function reg() {
  if (!registry) throw new Error("words.js: call loadPresets() first");
  return registry;
}

const MS_PER_DAY = 86400000;

// "2026-11-30" or a Date → "30 November 2026" (a calendar day: no time zone shift)
export function dateWords(day) {
  const date = typeof day === "string" ? new Date(day + "T00:00:00Z") : day;
  if (Number.isNaN(date.getTime())) return String(day);
  return date.toLocaleDateString(registry ? registry.locale : "en-GB",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// epoch milliseconds → "30 Nov 2026, 14:05" in the reader's time zone
export function dateTimeWords(ms) {
  return new Date(ms).toLocaleString(registry ? registry.locale : "en-GB",
    { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

// epoch milliseconds → "14:05:09"
export function timeWords(ms) {
  return new Date(ms).toLocaleTimeString(registry ? registry.locale : "en-GB",
    { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// integer cents → "€1,250.00"
export function moneyWords(cents) {
  const r = reg();
  const value = Number(BigInt(cents)) / 100;
  return value.toLocaleString(r.locale, { style: "currency", currency: r.currency });
}

// milliseconds → "0.8 seconds", "12 seconds", "2 min 5 s"
export function durationWords(ms) {
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} seconds`;
  if (ms < 60000) return `${Math.round(ms / 1000)} seconds`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

// milliseconds left → "4:05" (minutes:seconds), or "expired"
export function countdownWords(msLeft) {
  if (msLeft <= 0) return "expired";
  const s = Math.ceil(msLeft / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

// a date slot value (days since 1970 + bias) → "2026-11-30"
export function slotDate(value) {
  const days = Number(BigInt(value) - BigInt(reg().date_bias));
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

function listWords(items) {
  if (items.length <= 1) return items.join("");
  return items.slice(0, -1).join(", ") + " or " + items[items.length - 1];
}

function paramWords(kind, value) {
  if (value === undefined || value === null || value === "") return "today";
  if (kind === "date") return dateWords(String(value));
  if (kind === "money") return moneyWords(value);
  if (kind === "codes") return listWords((Array.isArray(value) ? value : [value]).map(String));
  return String(value);
}

function fill(preset, template, params) {
  const kinds = Object.fromEntries(preset.params.map((p) => [p.name, p.kind]));
  return template.replace(/\{(\w+)\}/g, (_, name) => paramWords(kinds[name], (params || {})[name]));
}

function preset(name) {
  const p = reg().presets[name];
  if (!p) throw new Error(`unknown preset ${name}`);
  return p;
}

// The holder's question: "Are you 18 or older?"
export function questionWords(presetName, params) {
  const p = preset(presetName);
  return fill(p, p.question, params);
}

// The desk's short label: "Age at least 18"
export function titleWords(presetName, params) {
  const p = preset(presetName);
  return fill(p, p.title, params);
}

// "Eligible: 18 or older"
export function acceptedWords(presetName, params) {
  const p = preset(presetName);
  return fill(p, p.accepted, params);
}

// A refusal reason code → "this claim was already reimbursed"
export function refusalWords(reason, presetName) {
  const r = reg();
  const own = (r.refusals_by_preset[presetName] || {})[reason];
  return own || r.refusals[reason] || String(reason).replace(/_/g, " ");
}

// One raw query of a schema in words: "date of birth is on or before, or at most, 30 November 2008"
export function queryWords(schemaName, query) {
  const r = reg();
  const attribute = (r.schemas[schemaName] || [])[query.slot];
  const template = r.operators[query.op];
  if (!template) return "";
  const kind = attribute ? attribute.kind : "code";
  const values = (query.values || []).map((v) =>
    kind === "date" ? dateWords(slotDate(v)) : kind === "money" ? moneyWords(v) : String(v));
  const joined = query.op.includes("BETWEEN") ? values.join(" and ") : listWords(values);
  return template.replace("{attribute}", attribute ? attribute.words : `slot ${query.slot}`).replace("{values}", joined);
}

// A request as the API returns it (GET /v1/requests/{id}) → {title, question} in words.
export function requestWords(view) {
  if (view.preset) {
    return { title: titleWords(view.preset, view.params), question: questionWords(view.preset, view.params) };
  }
  const parts = view.request.queries.map((q) => queryWords(view.request.schema, q)).filter(Boolean);
  const text = parts.length ? parts.join("; and ") : "any credential of this kind";
  return { title: text[0].toUpperCase() + text.slice(1), question: `Can you prove that ${text}?` };
}

// A receipt body → {ok, text}: "Eligible: 18 or older" or "Not accepted: this request was already answered"
export function outcomeWords(body) {
  const q = body.question || {};
  if (body.decision === "accepted") {
    return { ok: true, text: q.preset ? acceptedWords(q.preset, q.params) : "Eligible" };
  }
  return { ok: false, text: `Not accepted: ${refusalWords(body.reason, q.preset)}` };
}

// Two calendar days → "1–30 November 2026", "28 November – 2 December 2026", or one day's words
export function periodWords(from, to) {
  if (from === to) return dateWords(from);
  const [a, b] = [from, to].map((d) => new Date(d + "T00:00:00Z"));
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return `${from} – ${to}`;
  const locale = registry ? registry.locale : "en-GB";
  const part = (date, opts) => date.toLocaleDateString(locale, { ...opts, timeZone: "UTC" });
  if (a.getUTCFullYear() !== b.getUTCFullYear()) return `${dateWords(from)} – ${dateWords(to)}`;
  if (a.getUTCMonth() !== b.getUTCMonth()) {
    return `${part(a, { day: "numeric", month: "long" })} – ${dateWords(to)}`;
  }
  return `${a.getUTCDate()}–${dateWords(to)}`;
}

// n and a noun → "1 claim", "3 claims", "1,204 entries"
export function countWords(n, singular, plural) {
  const noun = n === 1 ? singular : plural || singular + "s";
  return `${Number(n).toLocaleString(registry ? registry.locale : "en-GB")} ${noun}`;
}

// A statistics row's metric (GET /v1/statistics/*) in words; the subject and detail say whose and which.
const METRICS = {
  entries: "ledger entries",
  issuers_registered: "issuers registered",
  credentials_issued: "credentials issued",
  credentials_revoked: "credentials revoked",
  nullifiers: "answers accepted",
  claims: "reimbursement claims",
  requests_created: "questions asked",
  answers_refused: "answers refused",
};
export function metricWords(metric) {
  return METRICS[metric] || String(metric).replace(/_/g, " ");
}

// A ledger entry kind (statistics subject of `entries`) in words
const KINDS = {
  issuer: "issuer registrations", commitment: "credentials issued", revocation: "revocations",
  nullifier: "answers accepted", scope_name: "scope names", claim: "claim commitments",
  circuit_key: "circuit keys", issuer_root: "issuer tree roots",
};
export function entryKindWords(kind) {
  return KINDS[kind] || String(kind).replace(/_/g, " ");
}
