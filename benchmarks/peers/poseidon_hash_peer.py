"""Runs inside its own venv (poseidon-hash pins numba < 0.60): two-input hashes/s with circomlib's
t = 3 parameters passed in as JSON on stdin. Prints JSON."""

import json
import sys
import time

import poseidon

params = json.load(sys.stdin)
p = int(params["p"])
h = poseidon.Poseidon(
    p, 128, 5, 3, t=3, full_round=8, partial_round=57,
    mds_matrix=[[hex(int(x)) for x in row] for row in params["mds"]],
    rc_list=[hex(int(x)) for x in params["rc"]],
)
n = int(params["n"])
out = h.run_hash([1, 2])
t = time.perf_counter()
for i in range(n):
    h.run_hash([i, i + 1])
print(json.dumps({"hashes_per_s": n / (time.perf_counter() - t), "poseidon_1_2": str(int(out))}))
