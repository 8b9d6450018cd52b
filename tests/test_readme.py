"""The README's "Running the service" block runs as written: extracted from README.md and run by
bash, in a private network namespace (its fixed port 8000 is then free whatever else runs here),
from a directory whose .venv is the one running the tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_ci

ROOT = Path(__file__).resolve().parents[1]


def running_the_service_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Running the service", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one sh block"
    return blocks[0]


def _isolated_network() -> list[str]:
    """A command prefix giving the block its own loopback, or a skip (a failure under CI)."""
    probe = None
    if shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe is None or probe.returncode:
        message = f"cannot make a network namespace (needs root and unshare): {probe.stderr if probe else 'no unshare'}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return ["unshare", "-n"]


def test_running_the_service_block_runs_verbatim(tmp_path, query_keys):
    block = running_the_service_block()
    assert "zkelig serve" in block and "zkelig audit" in block
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    script = tmp_path / "block.sh"
    script.write_text("ip link set lo up\nset -euo pipefail\n" + block + "wait\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZKELIG_KEYS": str(query_keys.directory.parent),
           "ZKELIG_DATA_DIR": str(tmp_path / "data")}
    for name in ("ZKELIG_ADMIN_KEY", "ZKELIG_URL", "ZKELIG_API_KEY", "ZKELIG_DATABASE_URL"):
        env.pop(name, None)
    proc = subprocess.Popen([*_isolated_network(), "bash", str(script)], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    assert "Traceback" not in out + err
    assert '"request_id"' in out and "consistent" in out
    assert re.search(r"ledger key\s+\S{44} \(Ed25519, base64\)", out) and "verifying key" in out
    assert (tmp_path / "civil-registry.key").stat().st_mode & 0o077 == 0
