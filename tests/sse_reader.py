"""Reading server-sent events in a background thread, with the time each arrived (for latency checks)."""

from __future__ import annotations

import json
import threading
import time

import httpx


class EventReader:
    def __init__(self, url: str, headers: dict | None = None):
        self.events: list[tuple[float, str, dict]] = []  # (arrival, event name, data)
        self.status: int | None = None
        self.content_type = ""
        self._ready = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise TimeoutError(f"no answer from {url}")

    def _run(self, url: str, headers: dict) -> None:
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            self._ready.set()  # the server went away (end of the test module): nothing more to read

    def _read(self, url: str, headers: dict) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=None)) as response:
            self.status, self.content_type = response.status_code, response.headers.get("content-type", "")
            self._ready.set()
            if response.status_code != 200:
                return
            name, data = "message", []
            for line in response.iter_lines():
                if self._stop:
                    return
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    self.events.append((time.time(), name, json.loads("\n".join(data))))
                    name, data = "message", []

    def wait_for(self, name: str, count: int = 1, timeout: float = 10.0) -> list[tuple[float, dict]]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [(t, d) for t, n, d in list(self.events) if n == name]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise TimeoutError(f"{count} {name!r} event(s) did not arrive; got {[n for _, n, _ in self.events]}")

    def wait_for_request(self, request_id: str, timeout: float = 10.0) -> dict:
        """The first decision event about this request."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for _, name, data in list(self.events):
                if name == "decision" and data.get("request_id") == request_id:
                    return data
            time.sleep(0.01)
        raise TimeoutError(f"no decision about {request_id}")

    def close(self) -> None:
        self._stop = True  # the thread ends at the next line (a ping at the latest); it is a daemon
