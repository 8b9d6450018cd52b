"""The preset registry: the questions a verifier asks most, their parameters, and how each is said in words.

Pages and wallets render every question, answer and refusal from this one table (served as JSON by
GET /v1/presets and read by service/web/shared/words.js), so the desk, the wallet and the regulator say
the same thing the same way. A template names its parameters in braces; each parameter has a kind that
says how it is written: `integer` as a number, `date` as a date, `money` as an amount, `codes` as a list.

The request a preset builds is fixed by the server (circuits.requests.PRESETS, which also gives each
parameter's kind and bounds), so a label here can never say one thing while the proof checks another.
Adding a preset: add it to circuits.requests.PRESETS and its words to WORDS here.
"""

from __future__ import annotations

from circuits import credentials as cr
from circuits.credential_query import Op
from circuits.requests import PRESETS as BUILDERS

CURRENCY = "EUR"  # money slots hold integer cents of this currency
LOCALE = "en-GB"  # how pages write dates and amounts: 12 May 1990, €1,250.00

# Each preset's words; a parameter's words are its label and the default a form starts from.
WORDS: dict[str, dict] = {
    "age_at_least": {
        "params": {"years": {"label": "Minimum age in years", "default": 18}},
        "label": "Age: at least a number of years",
        "title": "Age at least {years}",
        "question": "Are you {years} or older?",
        "accepted": "Eligible: {years} or older",
    },
    "insured_on": {
        "params": {"day": {"label": "Day of care", "default": "today"}},
        "label": "Insurance: insured on a day",
        "title": "Insured on {day}",
        "question": "Are you insured on {day}?",
        "accepted": "Eligible: insured on {day}",
    },
    "reimbursable": {
        "params": {"claim_cents": {"label": "Claim amount"}, "covered_plans": {"label": "Plans that cover it"},
                   "day": {"label": "Day of care", "default": "today"}},
        "label": "Claim: reimbursable under the plan",
        "title": "Claim of {claim_cents} on {day}, plans {covered_plans}",
        "question": "Is a claim of {claim_cents} on {day} reimbursable under your plan (plans {covered_plans})?",
        "accepted": "Eligible: a claim of {claim_cents} on {day} is reimbursable",
    },
}



def _served(name: str) -> dict:
    """A preset as pages read it: its schema and typed parameters from the builder, in its words."""
    preset, words = BUILDERS[name], WORDS[name]
    params = []
    for p in preset.params:
        bounds = {k: v for k, v in (("min", p.min), ("max", p.max), ("max_items", p.max_items)) if v is not None}
        params.append({"name": p.name, "kind": p.kind, "required": p.required, **bounds, **words["params"][p.name]})
    return {"schema": preset.schema.name, **words, "params": params}


PRESETS: dict[str, dict] = {name: _served(name) for name in BUILDERS}

# Why a presentation was refused (the receipt's reason code), for the verifier and the holder alike.
# Presets may say it more precisely in their own words (REFUSALS_BY_PRESET).
REFUSALS: dict[str, str] = {
    "request_expired": "the request expired before the answer arrived",
    "request_already_answered": "this request was already answered",
    "nullifier_reused": "already answered once in this scope",
    "invalid_proof": "the proof is invalid",
    "root_not_accepted": "the credential was revoked, or is not from a register the ledger accepts now",
    "request_mismatch": "the proof answers another question",
}
REFUSALS_BY_PRESET: dict[str, dict[str, str]] = {
    "reimbursable": {"nullifier_reused": "this claim was already reimbursed"},
    "insured_on": {"root_not_accepted": "coverage was withdrawn by the insurer"},
}

# How a raw query (not from a preset) reads, per operator; {attribute} and {values} are filled in.
OPERATORS: dict[str, str] = {
    Op.NOOP.name: "",
    Op.EQ.name: "{attribute} is {values}",
    Op.NE.name: "{attribute} is not {values}",
    Op.LT.name: "{attribute} is before or below {values}",
    Op.LTE.name: "{attribute} is on or before, or at most, {values}",
    Op.GT.name: "{attribute} is after or above {values}",
    Op.GTE.name: "{attribute} is on or after, or at least, {values}",
    Op.IN.name: "{attribute} is one of {values}",
    Op.NIN.name: "{attribute} is none of {values}",
    Op.BETWEEN.name: "{attribute} is between {values}",
    Op.NOT_BETWEEN.name: "{attribute} is not between {values}",
}
ATTRIBUTE_WORDS = {"birthdate": "date of birth", "country": "country", "plan": "plan", "insured_from": "insured from",
                   "insured_until": "insured until", "annual_cap_cents": "annual cap", "region": "region"}


def refusal(reason: str, preset: str | None = None) -> str:
    """The words for a refusal reason, in the preset's own terms where it has them."""
    return REFUSALS_BY_PRESET.get(preset or "", {}).get(reason) or REFUSALS.get(reason, reason.replace("_", " "))


def registry() -> dict:
    """Everything a page needs to say requests in words (GET /v1/presets)."""
    schemas = {name: [{"name": a, "kind": k.value, "words": ATTRIBUTE_WORDS.get(a, a.replace("_", " "))}
                      for a, k in s.attributes] for name, s in cr.SCHEMAS.items()}
    return {"locale": LOCALE, "currency": CURRENCY, "date_bias": cr.DATE_BIAS, "presets": PRESETS,
            "refusals": REFUSALS, "refusals_by_preset": REFUSALS_BY_PRESET, "operators": OPERATORS,
            "schemas": schemas}
