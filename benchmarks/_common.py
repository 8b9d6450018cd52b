"""Shared benchmark plumbing: medians, peers run in the same process run, a printed table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.settings import shared_dir  # noqa: E402

SHARED = shared_dir()
RESULTS = ROOT / "benchmarks" / "results"


def median_time(fn, *, repeat: int = 15, warmup: int = 2, min_time: float = 0.0) -> float:
    """Median seconds per call over `repeat` calls (more if they finish before `min_time`)."""
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < repeat or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def node_bench(script: str, *args: str, timeout: int = 900) -> dict:
    """Run benchmarks/node/<script> with node and return the JSON it prints."""
    if not (ROOT / "node_modules" / "snarkjs").is_dir():
        raise SystemExit("snarkjs missing: run `make bench` (it installs node_modules from package-lock.json)")
    out = subprocess.run(
        ["node", str(ROOT / "benchmarks" / "node" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rapidsnark_file(name: str) -> Path | None:
    """A program of the local rapidsnark build, if ZKELIG_RAPIDSNARK names one that has it (see
    bench_prove): `bench_prove` (the in-process timer) or `prover` (the whole process)."""
    home = os.environ.get("ZKELIG_RAPIDSNARK")
    found = Path(home) / name if home else None
    return found if found and found.exists() else None


def rapidsnark_round(harness: Path, zkey: Path, wtns: Path, runs: int) -> float:
    """rapidsnark's median seconds per proof over `runs` proofs (one groth16_prover_create first)."""
    out = subprocess.run([str(harness), str(zkey), str(wtns), str(runs)], capture_output=True, text=True, check=True,
                         timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"] / 1e3


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:,.1f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds:,.2f} s"


def report(title: str, rows: list[tuple[str, float, str, float | None, str]]) -> None:
    """rows: (operation, ours, peer name, peer seconds or None, note). Prints and saves JSON."""
    print(f"\n{title}")
    print(f"{'operation':44s} {'zkelig':>12s}  {'peer':22s} {'peer time':>12s} {'ours/peer':>10s}  note")
    for op, ours, peer, theirs, note in rows:
        ratio = f"{ours / theirs:.4f}" if theirs else "-"
        print(f"{op:44s} {fmt(ours):>12s}  {peer:22s} {fmt(theirs) if theirs else '-':>12s} {ratio:>10s}  {note}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = title.lower().split(":")[0].replace(" ", "_")
    payload = [dict(op=op, ours_s=o, peer=p, peer_s=t, note=n) for op, o, p, t, n in rows]
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"title": title, "cpus": os.cpu_count(), "rows": payload}, indent=1)
    )


def start_service(data: str, admin_key: str, workers: int = 2, env: dict | None = None):
    """`zkelig serve --init --workers N` on a free loopback port with a fresh database in `data`, the
    benchmark's admin key and its single-party keys (ZKELIG_DEV_SETUP); (process, URL) once it answers.
    The caller terminates the process."""
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full_env = {**os.environ, "ZKELIG_ADMIN_KEY": admin_key, "ZKELIG_DEV_SETUP": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--init", "--port", str(port), "--data-dir",
                             data, "--workers", str(workers)], cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/v1/ledger/key", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("service did not start")
