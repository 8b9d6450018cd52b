"""The witness program as a portable file: what a phone runs (service/web/wallet/witness.js) to
compute a witness without sending anything to the server.

Two JSON files (UTF-8, no insignificant whitespace, keys sorted: the same circuit always gives
the same bytes, hence the same sha256, recorded in the keys' metadata.json):

witness_program.json, format "zkelig-witness-program", version 2:

    {"format": "zkelig-witness-program", "version": 2,
     "circuit": "credential-query-d20-q4-m8",    the keys directory it belongs to
     "field": "2188…617",                        r, decimal: every value is in [0, r)
     "wires": 9405,                              witness length, wire 0 = 1 included
     "public": 7,                                wires 1..public are the public inputs
     "inputs": [[name, "public" | "secret", n | null], …]
         declaration order; wires are given to public inputs first, then secret ones, each
         input in that order, a list input (n not null) taking n consecutive wires;
     "poseidon": {"file": "poseidon_constants.json", "sha256": hex} | null,
     "ops": [[name, n_out, params, inputs], …]
         run in order, op k computing the next n_out wires from `inputs` (linear combinations)
         and `params` (small integers):
           "mul"      n_out 1, inputs [a, b]: a·b
           "bits"     params [n], inputs [x]: the n low bits of x, least significant first
           "inverse"  inputs [x]: 1/x, or 0 when x = 0
           "is_zero"  inputs [x]: 1 if x = 0 else 0
           "poseidon" params [constant_mask, every], inputs the t − 1 hashed words: one permutation
                      of [0, *words] with circomlib's constants for width t, emitting x², x⁴, x⁵ of
                      every S-box in round then cell order, except S-boxes of state cells that are
                      constants (bit i of constant_mask: cell i was a constant at compile time; all
                      cells stop being constants after the first linear layer unless all were);
                      after the S-box of partial round p (counted from 0) with (p + 1) % every = 0,
                      also cells 1..t − 1 (non-constant ones) as they are then (every = 0: never);
                      version 1 had no `every`;
     "checks": [[k, name, a, b, c], …]
         the constraints a·b = c (number k of the R1CS, its name) that the ops do not imply;
         an interpreter checks them in order and refuses the witness at the first that fails,
         as "constraint #k (name) is not satisfied", which names the failing query.}

A linear combination is a flat list [wire, coefficient, wire, coefficient, …]; a coefficient is
a JSON integer c (0 ≤ c < 2^53, meaning c), a negative JSON integer −d (meaning r − d) or a
string "0x…" (hexadecimal, for every other value).

poseidon_constants.json, format "zkelig-poseidon-constants", version 1: {"field": r, "widths":
{"t": {"full_rounds": 8, "partial_rounds": R_P, "round_constants": [hex…] ((8 + R_P)·t, row by
row), "mds": [hex…] (t·t, row by row)}}} for the widths the program uses; hex strings are "0x…".
"""

from __future__ import annotations

import hashlib
import json

from zkcore.params import R
from zkcore.poseidon_params import poseidon_params

from .dsl import CompiledCircuit

FORMAT, VERSION = "zkelig-witness-program", 2
CONSTANTS_FORMAT, CONSTANTS_VERSION = "zkelig-poseidon-constants", 1
PROGRAM_FILE, CONSTANTS_FILE = "witness_program.json", "poseidon_constants.json"
ARTIFACT_FILES = (PROGRAM_FILE, CONSTANTS_FILE)
_SMALL = 1 << 53  # integers JavaScript's numbers hold exactly


def _coefficient(c: int) -> int | str:
    if c < _SMALL:
        return c
    if R - c < _SMALL:
        return c - R
    return hex(c)


def _lc(terms) -> list:
    return [x for w, c in sorted(dict(terms).items()) for x in (w, _coefficient(c))]


def _dumps(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def poseidon_widths(circuit: CompiledCircuit) -> list[int]:
    return sorted({len(op.inputs) + 1 for op in circuit.api.program if op.name == "poseidon"})


def constants_bytes(widths) -> bytes:
    """poseidon_constants.json for these state widths."""
    out = {}
    for t in widths:
        p = poseidon_params(t)
        out[str(t)] = {
            "full_rounds": p.full_rounds, "partial_rounds": p.partial_rounds,
            "round_constants": [hex(c) for row in p.round_constants for c in row],
            "mds": [hex(c) for row in p.mds for c in row],
        }
    return _dumps({"format": CONSTANTS_FORMAT, "version": CONSTANTS_VERSION, "field": str(R), "widths": out})


def program_bytes(circuit: CompiledCircuit, name: str, constants: bytes | None = None) -> bytes:
    """witness_program.json for a compiled circuit; `constants`: its poseidon_constants.json bytes."""
    api, cs = circuit.api, circuit.cs
    ops = []
    for op in api.program:
        if not op.portable:
            raise ValueError(f"hint {op.name} has no JavaScript twin: register it with portable_hint")
        ops.append([op.name, op.n_out, list(op.params), [_lc(x) for x in op.inputs]])
    checks = [[k, cs.names[k], *(_lc(lc.terms) for lc in cs.constraints[k])] for k in circuit.checked]
    uses_poseidon = any(op.name == "poseidon" for op in api.program)
    if uses_poseidon and constants is None:
        constants = constants_bytes(poseidon_widths(circuit))
    return _dumps({
        "format": FORMAT, "version": VERSION, "circuit": name, "field": str(R),
        "wires": cs.n_wires, "public": cs.n_public,
        "inputs": [[n, kind, size] for n, kind, size in circuit.inputs],
        "poseidon": ({"file": CONSTANTS_FILE, "sha256": hashlib.sha256(constants).hexdigest()}
                     if uses_poseidon else None),
        "ops": ops, "checks": checks,
    })


def export(circuit: CompiledCircuit, name: str) -> dict[str, bytes]:
    """{file name: bytes} of the program and its Poseidon constants."""
    constants = constants_bytes(poseidon_widths(circuit))
    return {PROGRAM_FILE: program_bytes(circuit, name, constants), CONSTANTS_FILE: constants}
