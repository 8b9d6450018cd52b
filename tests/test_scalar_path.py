"""The MSM and prover tests once more, compiled for a CPU without AVX-512 IFMA (AMD Zen 3).

On an IFMA machine the prover takes the lane kernels, so the scalar path (affine buckets, GLV)
would be covered only by the tests that ask for it explicitly. Here a child pytest runs the
affected files with NUMBA_CPU_NAME=znver3, which makes `ifma.available()` false and numba compile
for that CPU, in its own cache directory (a cache compiled for another CPU must not be reused).
Cold, the child is mostly compilation: with test_msm_tables.py as well it took 261 s of CPU (one
core at a time); without it, less. Warm, well under a minute. test_msm_tables.py is left out: its
scalar cases run natively with lanes=False, and test_msm_affine covers tables and windows here.
The child starts when collection ends and compiles on the second core while the suite goes on
(tests/early.py).
"""

import os
import subprocess
import sys
from pathlib import Path

from early import Early

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("ZKELIG_SCALAR_CACHE", "/tmp/zkelig-numba-znver3"))
FILES = ["tests/test_msm_affine.py", "tests/test_groth16_prove.py"]
# the snarkjs round trip spawns node and re-tests the CLI: its kernels are the ones above
DESELECT = "not snarkjs_verifies_our_proof"


def _scalar_env() -> dict:
    env = dict(os.environ, NUMBA_CPU_NAME="znver3", NUMBA_CACHE_DIR=str(CACHE), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CPU_FEATURES", None)
    return env


def test_the_znver3_setting_selects_the_scalar_path():
    probe = "from zkcore.kernels import ifma; from zkcore.msm import FixedBases; import numpy as np; " \
            "print(ifma.available(), FixedBases(np.zeros((0, 2, 4), dtype=np.uint64)).lanes)"
    out = subprocess.run([sys.executable, "-c", probe], env=_scalar_env(), cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.split() == ["False", "False"]


_child: Early | None = None


def _start_child() -> Early:
    global _child
    if _child is None:
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", DESELECT, *FILES]
        _child = Early.start([cmd], env=_scalar_env(), cwd=ROOT)
    return _child


def start_early(items) -> None:
    if any(item.originalname == test_msm_and_prover_tests_pass_compiled_without_ifma.__name__ for item in items):
        _start_child()


def test_msm_and_prover_tests_pass_compiled_without_ifma():
    # the wall-clock limit is generous: on a machine shared with other jobs the cold compile crawls
    out = _start_child().wait(timeout=2400)
    tail = out.output[-5000:]
    assert out.returncode == 0, tail
    assert " passed" in out.output and " failed" not in out.output, tail
