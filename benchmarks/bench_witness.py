"""The phone's share of a proof at depth 20, outside the browser: the witness from the exported
program in node (witness.js, then .wtns bytes) against the Python replay, and the membership path
computed from three tiles (tiles.js) against the Python twin."""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
from pathlib import Path

from _common import median_time, node_bench, report

from circuits import credentials as cr
from circuits.credential_query import Op, Query, credential_query_circuit
from circuits.requests import ProofRequest, circuit_inputs
from service.keys import ensure_keys
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.merkle.tiles import encode_tile, path_from_tiles, tile_levels, tiles_for_leaf
from zkcore.params import R

DEPTH = 20


def main() -> None:
    keys = ensure_keys(depth=DEPTH)
    circuit = credential_query_circuit(DEPTH)
    rng = random.Random(1)
    secret = rng.randrange(1, R)
    credential = cr.issue(cr.PERSON, "registry", cr.id_commitment(secret),
                          {"birthdate": dt.date(1990, 5, 12), "country": 250}, dt.date(2031, 1, 1))
    tree = PoseidonTree(DEPTH)
    tree.extend([rng.randrange(1, R) for _ in range(1000)])
    leaf = tree.append(credential.leaf)
    request = ProofRequest.new(cr.PERSON, ["registry"], [Query(0, Op.LTE, (cr.encode_date(dt.date(2008, 1, 1)),))],
                               "bench", dt.date(2026, 11, 30))
    inputs = circuit_inputs(credential, secret, tree.path(leaf), request)
    tiles = {(lv, ix): tree.nodes(base, ix << h, (ix + 1) << h)
             for (lv, ix), (base, h) in zip(tiles_for_leaf(DEPTH, leaf), tile_levels(DEPTH))}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "inputs.json").write_text(json.dumps(
            {k: str(v) if isinstance(v, int) else [str(x) for x in v] for k, v in inputs.items()}))
        Path(tmp, "tiles.json").write_text(json.dumps(
            {"depth": DEPTH, "leaf": leaf,
             "tiles": {f"{lv}/{ix}": encode_tile(n).hex() for (lv, ix), n in tiles.items()}}))
        js = node_bench("wallet_witness.mjs", str(keys.directory), str(Path(tmp, "inputs.json")),
                        str(Path(tmp, "tiles.json")))
    python = median_time(lambda: circuit.witness(**inputs), repeat=7)
    python_tiles = median_time(lambda: path_from_tiles(DEPTH, leaf, tiles), repeat=7)
    report(f"wallet witness, depth {DEPTH} ({circuit.n_constraints:,} constraints)", [
        ("witness + .wtns, witness.js in node", js["witness_ms"] / 1000, "Python replay", python, "checks included"),
        ("path from 3 tiles, tiles.js in node", js["tiles_ms"] / 1000, "Python (numba Poseidon)", python_tiles, ""),
        ("load + digest-check program, node", js["load_ms"] / 1000, "", None, "once per page"),
    ])


if __name__ == "__main__":
    main()
