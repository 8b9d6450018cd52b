"""Group work that queues up: one thread takes everything waiting and handles it as one batch."""

from __future__ import annotations

import queue


def next_batch(q: queue.Queue, limit: int) -> list | None:
    """Block for one item, then take whatever else is waiting (up to `limit` in all).

    None in the queue means shut down: returns None once nothing before it is left."""
    first = q.get()
    if first is None:
        return None
    batch = [first]
    while len(batch) < limit:
        try:
            item = q.get_nowait()
        except queue.Empty:
            break
        if item is None:
            q.put(None)  # seen again, and acted on, after this batch
            break
        batch.append(item)
    return batch
