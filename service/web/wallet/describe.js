// The holder's own view in words: a credential as "born 12 May 1990", and why a request cannot be
// answered ("your coverage ended on 31 December 2025"). These sentences use the holder's attribute
// values, so they are shown on the phone only and never sent anywhere. Dates and amounts are written
// by shared/words.js, like everywhere else.

import { dateWords, moneyWords, queryWords, slotDate } from "/web/shared/words.js";

const SCHEMA_TITLES = { "person.v1": "Identity", "insurance.v1": "Health insurance" };

/** "1 Jan – 31 Dec 2026", or "1 Jan 2025 – 31 Dec 2026" across years. */
export function dateRangeWords(fromIso, untilIso) {
  const fmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  return fmt.formatRange(new Date(fromIso + "T00:00:00Z"), new Date(untilIso + "T00:00:00Z"));
}

function slot(credential, schemaAttributes, name) {
  const i = schemaAttributes.findIndex((a) => a.name === name);
  return i < 0 ? null : credential.slots[i];
}

function valueWords(kind, value) {
  if (kind === "date") return dateWords(slotDate(value));
  if (kind === "money") return moneyWords(value);
  return String(value);
}

/** {title, lines[]} for a credential card: never the encoded slots. */
export function credentialWords(credential, schemas) {
  const attributes = schemas[credential.schema] || [];
  const get = (name) => slot(credential, attributes, name);
  const title = `${SCHEMA_TITLES[credential.schema] || credential.schema} from ${credential.issuer}`;
  const lines = [];
  if (credential.schema === "person.v1") {
    lines.push(`born ${dateWords(slotDate(get("birthdate")))}`);
    lines.push(`country code ${get("country")}`);
  } else if (credential.schema === "insurance.v1") {
    const insured = dateRangeWords(slotDate(get("insured_from")), slotDate(get("insured_until")));
    lines.push(`plan ${get("plan")}, insured ${insured}`);
    lines.push(`annual cap ${moneyWords(get("annual_cap_cents"))}`);
    lines.push(`region ${get("region")}`);
  } else {
    attributes.forEach((a, i) => lines.push(`${a.words} ${valueWords(a.kind, credential.slots[i])}`));
  }
  lines.push(`valid until ${dateWords(slotDate(credential.expiry))}`);
  return { title, lines };
}

function listWords(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Why `query` fails for this credential, in the holder's terms. */
export function failureWords(view, credential, query, schemas) {
  const attributes = schemas[credential.schema] || [];
  const attribute = attributes[query.slot] || {};
  const mine = credential.slots[query.slot];
  const asked = (query.values || [])[0];
  const params = view.params || {};
  switch (attribute.name) {
    case "birthdate": {
      const years = view.preset === "age_at_least" ? params.years : yearsBetween(slotDate(asked), view.request.today);
      return query.op === "LTE" && years !== null
        ? `You are under ${years}: you were born on ${dateWords(slotDate(mine))}.`
        : `Your date of birth (${dateWords(slotDate(mine))}) does not fit: ${queryWords(credential.schema, query)}.`;
    }
    case "insured_until":
      return `Your coverage ended on ${dateWords(slotDate(mine))}, before ${dateWords(slotDate(asked))}.`;
    case "insured_from":
      return `Your coverage starts on ${dateWords(slotDate(mine))}, after ${dateWords(slotDate(asked))}.`;
    case "annual_cap_cents":
      return `The claim (${moneyWords(asked)}) is above your plan's annual cap (${moneyWords(mine)}).`;
    case "plan":
      return `Your plan (${mine}) is not one of the plans that cover it (${listWords(query.values.map(String))}).`;
    default:
      return `It is not true that ${queryWords(credential.schema, query)}.`;
  }
}

/** inputs.js's refusalOf result (why this credential cannot answer the request) as a sentence. */
export function refusalSentence(view, credential, refusal, schemas) {
  const request = view.request;
  switch (refusal.reason) {
    case "schema":
      return "It is a different kind of credential.";
    case "issuer":
      return `They accept credentials from ${listWords(request.issuers)}, not from ${credential.issuer}.`;
    case "secret":
      return "This credential belongs to another wallet.";
    case "expired": {
      const expired = dateWords(slotDate(credential.expiry));
      return `Your credential expired on ${expired}; ask ${credential.issuer} for a new one.`;
    }
    default:
      return failureWords(view, credential, request.queries[refusal.query], schemas);
  }
}
