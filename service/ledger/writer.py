"""Group commit: one thread takes every write that queued up and commits them as one transaction."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from ..batching import next_batch

MAX_BATCH = 4096


@dataclass(frozen=True)
class Pending:
    """A queued operation and the future its caller waits on."""

    operation: object
    future: Future


class GroupCommitWriter:
    """Runs `commit(batch)` on batches of queued operations in one thread.

    `commit` settles each operation's future; whatever it leaves unsettled when it raises is failed
    with its error, and the writer goes on with the next batch."""

    def __init__(self, commit: Callable[[list[Pending]], None], name: str = "zkelig-ledger-writer"):
        self._commit = commit
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, operation: object) -> Future:
        future: Future = Future()
        self._queue.put(Pending(operation, future))
        return future

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def close(self, timeout: float = 30) -> None:
        """Commit what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while True:
            batch = next_batch(self._queue, MAX_BATCH)
            if batch is None:
                return
            try:
                self._commit(batch)
            except Exception as err:  # noqa: BLE001 - the writer must outlive any one batch
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(err)
