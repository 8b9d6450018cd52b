"""Server-side proving in a child process of each worker, at the lowest CPU priority.

A Groth16 proof takes every core numba is given for 100+ ms; in the worker's own process it made
verifications queue behind it. The child proves with NUMBA_NUM_THREADS=1 at nice 19 under
SCHED_IDLE (ZKELIG_PROVE_NICE; a lower nice keeps the normal policy), so a proof takes at most one
core and the scheduler hands that core to the worker whenever a verification wants it: proving
yields, verifying does not wait. On a machine that never idles, proofs wait (and time out as 503).

The child loads and prepares the proving key once, at worker start-up, then answers one request
at a time over a socket pair: the worker sends exactly what the witness needs (the stored
credential, the holder's secret, the membership path, the proof request) and gets back the
presentation, or why the credential does not answer the request. Messages are JSON (never
pickle: neither side runs code the other sends). Nothing the child receives is logged; its
failures are logged by exception type only.

    python -m service.prover FD ZKEY DEPTH Q M NICE     (started by Prover, never by hand)
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from zkcore.errors import Unsatisfied
from zkcore.merkle.poseidon_tree import MerklePath

log = logging.getLogger("zkelig.prover")

ROOT = Path(__file__).resolve().parents[1]

class ProverUnavailable(Exception):
    """The proving child did not answer (still starting past the timeout, or died); the request can
    be retried later."""


class Prover:
    """The worker's side: one child process, one proof at a time (callers serialise through the
    ProvingQueue; the lock here only keeps the socket's messages paired)."""

    def __init__(self, zkey: Path, depth: int, q: int, m: int, timeout_s: float, nice: int = 19):
        self.zkey, self.shape, self.timeout_s, self.nice = zkey, (depth, q, m), timeout_s, nice
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._ready = False

    def start(self) -> None:
        """Start the child if it is not running; returns at once (the child loads the key meanwhile)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._child is not None and self._child.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair()
        env = {**os.environ, "NUMBA_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "service.prover", str(theirs.fileno()), str(self.zkey), *map(str, self.shape),
                 str(self.nice)],
                cwd=ROOT, env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._ready = False

    def prove(self, credential: dict, secret: int, path: MerklePath, request: dict) -> dict:
        """The presentation (JSON) answering `request` from `credential`. Raises Unsatisfied if the
        credential does not answer it, ProverUnavailable if the child does not answer in time."""
        message = json.dumps({"credential": credential, "secret": str(secret), "index": path.index,
                              "siblings": [str(s) for s in path.siblings], "request": request}).encode()
        with self._lock:
            self._start()
            try:
                if not self._ready:
                    self._receive()  # the child's "ready" once its key is prepared; still loading: try later
                    self._ready = True
            except (OSError, EOFError, ValueError):
                self._restart("did not start")
                raise ProverUnavailable() from None
            try:
                self._conn.send_bytes(message)
                reply = self._receive()
            except (OSError, EOFError, ValueError, ProverUnavailable):
                self._restart("did not answer")  # a late answer would pair with the next question
                raise ProverUnavailable() from None
        if "unsatisfiable" in reply:
            raise Unsatisfied(reply["unsatisfiable"])
        if "presentation" not in reply:
            raise ProverUnavailable()
        return reply["presentation"]

    def _restart(self, what: str) -> None:
        log.warning("the proving child %s; restarting it", what)
        self._stop()
        self._start()

    def _receive(self) -> dict:
        if not self._conn.poll(self.timeout_s):
            raise ProverUnavailable()
        return json.loads(self._conn.recv_bytes())

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the child reads end-of-file and exits
            self._conn = None
        if self._child is not None:
            try:
                self._child.wait(5)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None


def _lower_priority(nice: int) -> None:
    """Every thread of this process (numba's pool included: Linux keeps a nice value and a policy
    per thread) to `nice`; at 19, the lowest, also to SCHED_IDLE, which runs a thread only when no
    other wants the core (nice 19 alone still takes a slice of every contended core, and a
    verification arriving mid-slice waits for it). Threads started later inherit both."""
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
            if nice >= 19:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # a thread that has just ended
            pass


def _serve(conn: Connection, zkey: str, depth: int, q: int, m: int, nice: int) -> None:
    from circuits import credentials as cr
    from circuits.credential_query import credential_query_circuit
    from circuits.requests import ProofRequest, prove_request
    from zkcore.groth16 import prepare_proving_key
    from zkcore.groth16.snarkjs import read_zkey

    pk = read_zkey(Path(zkey))
    prepare_proving_key(pk)
    credential_query_circuit(depth, q, m)
    # Loading and preparing the key (a few CPU-seconds) is start-up work, done at the worker's own
    # priority so that a busy machine does not keep the prover from ever starting; proofs yield.
    _lower_priority(nice)
    conn.send_bytes(b'{"ready": true}')
    while True:
        try:
            body = json.loads(conn.recv_bytes())
        except (EOFError, ConnectionResetError):  # the worker closed its end (or died): nothing more to prove
            return
        try:
            path = MerklePath(int(body["index"]), tuple(int(s) for s in body["siblings"]))
            presentation = prove_request(cr.Credential.from_json(body["credential"]), int(body["secret"]), path,
                                         ProofRequest.from_json(body["request"]), pk)
            reply = {"presentation": presentation.to_json()}
        except Unsatisfied as err:
            reply = {"unsatisfiable": str(err)}
        except Exception as err:  # noqa: BLE001 - reported by type only: messages may quote the inputs
            print(f"zkelig prover: proof failed ({type(err).__name__})", file=sys.stderr, flush=True)
            reply = {"failed": type(err).__name__}
        conn.send_bytes(json.dumps(reply).encode())


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker, which closes the socket
    fd, zkey, depth, q, m, nice = argv
    try:
        _serve(Connection(int(fd)), zkey, int(depth), int(q), int(m), int(nice))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the worker went away (shut down while the key loaded, say): there is no one to answer


if __name__ == "__main__":
    main(sys.argv[1:])
