"""Slow, self-contained child processes started as soon as collection ends.

Two tests wait minutes on work that needs nothing from the rest of the suite: the kernels compiled
for a CPU without IFMA (test_scalar_path) and snarkjs preparing a Powers of Tau (test_ceremony). The
suite's own process keeps about one core busy, so each child runs on the second core meanwhile, and
its tests run last (conftest.py). The children run at a low priority
(nice 10): they take what the suite leaves idle, not time from its own tests (whose servers compile
kernels on first use and time out when starved). A module opts in with a function
`start_early(items)` (its selected tests) that calls `Early.start` if one of them needs the child;
that test calls `wait`.
"""

import subprocess
import tempfile
import threading
from dataclasses import dataclass


@dataclass
class Finished:
    returncode: int
    output: str  # stdout and stderr of the command that failed, or of the last one


class Early:
    """Commands run one after another in a background thread (each its own process)."""

    _started: list["Early"] = []

    def __init__(self, commands: list[list[str]], **popen):
        self.commands, self.popen = commands, popen
        self.result: Finished | None = None
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self._lock = threading.Lock()  # a stop between the check and the spawn must still kill the child
        self._thread = threading.Thread(target=self._run, daemon=True)

    @classmethod
    def start(cls, commands: list[list[str]], **popen) -> "Early":
        early = cls(commands, **popen)
        cls._started.append(early)
        early._thread.start()
        return early

    def _run(self) -> None:
        try:
            for command in self.commands:
                self.result = self._one(command)
                if self.result.returncode != 0:
                    return
        except Exception as err:  # whatever goes wrong here, the waiting test reports it
            self.result = Finished(1, f"{' '.join(command[:4])}: {type(err).__name__}: {err}")

    def _one(self, command: list[str]) -> Finished:
        # a file, not a pipe: nobody reads the child's output until its test runs
        with tempfile.TemporaryFile("w+", errors="replace") as log:
            with self._lock:
                if self._stopped:
                    return Finished(-1, "stopped at the end of the session")
                try:
                    self._process = subprocess.Popen(["nice", "-n", "10", *command], stdout=log,
                                                     stderr=subprocess.STDOUT, text=True, **self.popen)
                except OSError as err:  # no such program (nice or the command): the test says so
                    return Finished(127, f"nice -n 10 {command[0]}: {err}")
            code = self._process.wait()
            log.seek(0)
            return Finished(code, log.read())

    def wait(self, timeout: float) -> Finished:
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.stop()
            raise TimeoutError(f"{self.commands[-1][:4]} still running after {timeout:.0f} s")
        assert self.result is not None  # _run always leaves one
        return self.result

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    @classmethod
    def stop_all(cls) -> None:
        for early in cls._started:
            early.stop()
