"""The worker's prover child (service.prover): real proofs that verify, at the lowest CPU priority
with one numba thread, refusals that say why, and a restart after the child dies."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from circuits import credentials as cr
from circuits.requests import Presentation, age_at_least, verify_presentation
from service.prover import Prover, ProverUnavailable
from service.settings import Settings
from zkcore.errors import Unsatisfied
from zkcore.merkle.poseidon_tree import MerklePath, root_from_path

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def prover(query_keys):
    s = Settings()
    p = Prover(query_keys.directory / "circuit.zkey", s.tree_depth, s.queries, s.values, timeout_s=600)
    p.start()
    yield p
    p.close()
    assert p._child is None  # closed: the child read end-of-file and exited


def _holder():
    secret = cr.new_secret()
    credential = cr.issue(cr.PERSON, "registry", cr.id_commitment(secret), {"birthdate": dt.date(1980, 2, 3),
                                                                          "country": 250}, TODAY + dt.timedelta(days=9))
    return credential, secret, MerklePath(5, tuple(range(1, Settings().tree_depth + 1)))


def _prove(prover, years: int):
    credential, secret, path = _holder()
    request = age_at_least(years, TODAY, ["registry"], "hospital-a/child")
    return prover.prove(credential.to_json(), secret, path, request.to_json()), request, root_from_path(credential.leaf,
                                                                                                         path)


def test_the_child_proves_what_verifies(prover, query_keys):
    presentation, request, root = _prove(prover, 18)
    assert verify_presentation(query_keys.vk, request, Presentation.from_json(presentation), {"registry": {root}})
    assert not verify_presentation(query_keys.vk, request, Presentation.from_json(presentation), {"registry": {7}})


def test_the_child_proves_at_the_lowest_priority_on_one_thread(prover):
    """nice 19 and SCHED_IDLE on every thread: it runs only on a core nobody else wants."""
    pid = prover._child.pid
    threads = os.listdir(f"/proc/{pid}/task")
    # field 19 of /proc/<pid>/task/<tid>/stat is the nice value (after the parenthesised name)
    nices = {int(Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[16]) for tid in threads}
    assert nices == {19}
    assert {os.sched_getscheduler(int(tid)) for tid in threads} == {os.SCHED_IDLE}
    assert b"NUMBA_NUM_THREADS=1" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert os.getpriority(os.PRIO_PROCESS, 0) < 19  # the caller (the worker) keeps its own priority


def test_an_unsatisfiable_request_is_refused_with_the_reason(prover):
    with pytest.raises(Unsatisfied, match="does not hold"):
        _prove(prover, 150)


def test_a_child_that_does_not_answer_in_time_gives_unavailable(query_keys):
    s = Settings()
    slow = Prover(query_keys.directory / "circuit.zkey", s.tree_depth, s.queries, s.values, timeout_s=0.01)
    try:
        with pytest.raises(ProverUnavailable):  # still loading its key
            _prove(slow, 18)
    finally:
        slow.close()


def test_a_dead_child_is_restarted_by_the_next_proof(prover, query_keys):
    os.kill(prover._child.pid, signal.SIGKILL)
    prover._child.wait()
    presentation, request, root = _prove(prover, 18)  # the restarted child loaded the key again
    assert verify_presentation(query_keys.vk, request, Presentation.from_json(presentation), {"registry": {root}})


def test_a_child_whose_worker_left_while_it_loaded_exits_quietly(query_keys):
    """A server stopped during start-up closes its end before the child's "ready": the child
    exits without a traceback in the operator's log."""
    s = Settings()
    ours, theirs = socket.socketpair()
    child = subprocess.Popen([sys.executable, "-m", "service.prover", str(theirs.fileno()),
                              str(query_keys.directory / "circuit.zkey"), str(s.tree_depth), str(s.queries),
                              str(s.values), "19"], pass_fds=(theirs.fileno(),), stderr=subprocess.PIPE, text=True)
    theirs.close()
    ours.close()
    _, err = child.communicate(timeout=600)
    assert child.returncode == 0 and "Traceback" not in err, err
