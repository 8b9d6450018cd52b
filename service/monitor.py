"""Follow a ledger as it grows and notice a split view: `zkelig audit --follow`.

A monitor keeps, per source URL, the last signed head it verified and the log's compact range at
that size (at most log₂ n subtree hashes). Each poll it fetches the source's newer signed heads
and the entries between, and checks:

- every head is signed by the pinned ledger key and names the same origin;
- every new entry decodes canonically, and the rebuilt log's root at each new head's size is
  that head's root (so an entry altered after it was signed is caught);
- the source's consistency proof from the last verified head to the newest verifies;
- across sources (and heads given as files): two heads of the same size have the same root, and
  a smaller head is consistent with a larger one (by a consistency proof from the larger head's
  source). An honest log can always produce that proof: a source that cannot is treated as a fork.

The first inconsistency stops the monitor with the evidence (the signed heads and the proof that
failed) written to a file: signed heads are self-authenticating, so anyone can re-check it.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from zkcore.errors import InvalidEncoding, ZkError
from zkcore.merkle import rfc6962

from .ledger import entries as e
from .ledger.checkpoint import SignedHead
from .ledger.log import CompactRange

STATE_VERSION = 1
ENTRY_PAGE = 1000


class Source(Protocol):
    """What a monitor reads from one copy of the ledger (a running service's public API)."""

    name: str

    def public_key(self) -> bytes: ...
    def latest(self) -> str: ...
    def checkpoints(self, after: int) -> list[str]: ...
    def entries(self, start: int, end: int) -> list[bytes]: ...
    def consistency_proof(self, size1: int, size2: int) -> list[bytes]: ...


class HttpSource:
    def __init__(self, url: str, timeout: float = 30.0):
        from .client import ZkeligClient

        self.name = url
        self.client = ZkeligClient(url, timeout=timeout)

    def public_key(self) -> bytes:
        return base64.b64decode(self.client.ledger_key()["public_key"])

    def latest(self) -> str:
        return self.client.head()["checkpoint"]

    def checkpoints(self, after: int) -> list[str]:
        return self.client.checkpoints(after)

    def entries(self, start: int, end: int) -> list[bytes]:
        return self.client.entries(start, end)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self.client.consistency(size1, size2)

    def close(self) -> None:
        self.client.close()


class Unreachable(Exception):
    """A source did not answer (network, HTTP error): not evidence of anything, retried next poll."""


class SplitView(Exception):
    """An inconsistency, with what proves it."""

    def __init__(self, problem: str, heads: Sequence[tuple[str, str]] = (), proof: Sequence[bytes] = (),
                 first_entry: int | None = None):
        super().__init__(problem)
        self.problem, self.heads, self.proof, self.first_entry = problem, list(heads), list(proof), first_entry

    def evidence(self) -> dict:
        return {"problem": self.problem, "detected_at_ms": int(time.time() * 1000),
                "heads": [{"source": source, "checkpoint": text} for source, text in self.heads],
                "proof": [base64.b64encode(p).decode() for p in self.proof],
                "first_bad_entry": self.first_entry}


@dataclass
class Followed:
    """The last verified head of one source and the log's compact range at its size."""

    checkpoint: str | None = None
    range: CompactRange = field(default_factory=CompactRange)

    @property
    def head(self) -> SignedHead | None:
        return SignedHead.from_text(self.checkpoint) if self.checkpoint else None

    def to_json(self) -> dict:
        return {"checkpoint": self.checkpoint, "size": self.range.size,
                "range": [[h, base64.b64encode(d).decode()] for h, d in self.range.stack]}

    @classmethod
    def from_json(cls, obj: dict) -> Followed:
        stack = [(int(h), base64.b64decode(d, validate=True)) for h, d in obj["range"]]
        if any(len(d) != 32 for _, d in stack) or sum(1 << h for h, _ in stack) != int(obj["size"]):
            raise InvalidEncoding("the state's compact range does not add up to its size")
        followed = cls(obj["checkpoint"], CompactRange(int(obj["size"]), stack))
        head = followed.head
        if (head.size if head else 0) != followed.range.size or (head and head.root != followed.range.root()):
            raise InvalidEncoding("the state's compact range does not match its checkpoint")
        return followed


@dataclass
class MonitorState:
    public_key: bytes | None = None
    origin: str | None = None
    sources: dict[str, Followed] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> MonitorState:
        if not path.exists():
            return cls()
        try:
            obj = json.loads(path.read_text())
            if obj.get("version") != STATE_VERSION:
                raise InvalidEncoding(f"state version {obj.get('version')} is not {STATE_VERSION}")
            key = base64.b64decode(obj["public_key"], validate=True) if obj.get("public_key") else None
            return cls(key, obj.get("origin"), {url: Followed.from_json(f) for url, f in obj["sources"].items()})
        except (ValueError, KeyError, TypeError, AttributeError, InvalidEncoding) as err:
            raise InvalidEncoding(f"{path.name} is not a usable monitor state ({err})") from None

    def save(self, path: Path) -> None:
        """Written to a temporary file and renamed: a monitor killed mid-write keeps the previous state."""
        obj = {"version": STATE_VERSION, "origin": self.origin,
               "public_key": base64.b64encode(self.public_key).decode() if self.public_key else None,
               "sources": {url: f.to_json() for url, f in self.sources.items()}}
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(obj, indent=1))
        os.replace(partial, path)


@dataclass(frozen=True)
class Verified:
    """One signed head the monitor verified."""

    source: str
    head: SignedHead
    entries_checked: int

    def to_json(self) -> dict:
        return {"event": "head", "source": self.source, "size": self.head.size,
                "root": base64.b64encode(self.head.root).decode(), "timestamp_ms": self.head.timestamp_ms,
                "entries_checked": self.entries_checked}


class Monitor:
    def __init__(self, sources: Sequence[Source], state: MonitorState, pinned: Sequence[tuple[str, str]] = ()):
        """`pinned`: (name, checkpoint text) heads seen elsewhere (files, pasted), compared with every source."""
        self.sources, self.state, self.pinned = list(sources), state, list(pinned)

    def _key(self) -> bytes:
        if self.state.public_key is None:  # trust on first use; recorded in the state from then on
            self.state.public_key = _call(self.sources[0], lambda s: s.public_key())
        return self.state.public_key

    def _check_head(self, name: str, text: str) -> SignedHead:
        try:
            head = SignedHead.from_text(text)
            head.verify(self._key())
        except ZkError as err:
            raise SplitView(f"{name} served a head that does not verify under the ledger key: {err}",
                            [(name, text)]) from None
        if self.state.origin is None:
            self.state.origin = head.origin
        elif head.origin != self.state.origin:
            raise SplitView(f"{name} served a head of log {head.origin!r}, not {self.state.origin!r}", [(name, text)])
        return head

    def poll(self, report: Callable[[Verified], None] = lambda v: None) -> None:
        """One round over every source; raises SplitView on the first inconsistency, Unreachable
        (after the other sources were polled) if a source did not answer."""
        unreachable: list[str] = []
        for source in self.sources:
            try:
                self._follow(source, report)
            except Unreachable as err:
                unreachable.append(str(err))
        for name, text in self.pinned:
            self._check_head(name, text)
        self._compare()
        if unreachable:
            raise Unreachable("; ".join(unreachable))

    def _follow(self, source: Source, report: Callable[[Verified], None]) -> None:
        followed = self.state.sources.setdefault(source.name, Followed())
        old = followed.head
        now = self._check_head(source.name, _call(source, lambda s: s.latest()))
        if old is not None and (now.size < old.size or now.size == old.size and now.root != old.root):
            raise SplitView(f"{source.name} went back: its latest head (size {now.size}) is not the verified one "
                            f"(size {old.size}) or a successor",
                            [(source.name, old.to_text()), (source.name, now.to_text())])
        heads: list[SignedHead] = []
        while True:  # the service pages its heads
            after = heads[-1].size if heads else old.size if old else -1
            page = _call(source, lambda s: s.checkpoints(after))
            if not page:
                break
            heads += [self._check_head(source.name, t) for t in page]
        if not heads:
            return
        for previous, head in zip([old, *heads], heads):
            if previous is not None and head.size <= previous.size:
                raise SplitView(f"{source.name} served heads out of order (size {head.size} after {previous.size})",
                                [(source.name, previous.to_text()), (source.name, head.to_text())])
        latest = heads[-1]
        # Entries first: an altered entry is then named, rather than seen only as a failing proof.
        self._replay(source, followed, heads, report)
        if old is not None:  # the newest head must extend the one we verified last
            evidence = [(source.name, old.to_text()), (source.name, latest.to_text())]
            proof = _proof(source, old.size, latest.size, evidence)
            try:
                rfc6962.verify_consistency(old.size, latest.size, proof, old.root, latest.root)
            except ZkError as err:
                raise SplitView(f"{source.name}: the head at size {latest.size} is not consistent with the verified "
                                f"head at size {old.size} ({err})", evidence, proof) from None

    def _replay(self, source: Source, followed: Followed, heads: list[SignedHead],
                report: Callable[[Verified], None]) -> None:
        """Append the entries up to the newest head, checking each head's root at its size."""
        log = CompactRange(followed.range.size, list(followed.range.stack))  # committed head by head
        for head in heads:
            start = log.size
            while log.size < head.size:
                first = log.size
                batch = _call(source, lambda s: s.entries(first, min(head.size, first + ENTRY_PAGE)))
                if not batch:  # a replica that has not caught up yet; withholding proves nothing either
                    raise Unreachable(f"{source.name} served no entries from {first} "
                                      f"though its head covers {head.size}")
                for i, data in enumerate(batch[: head.size - first], first):
                    try:
                        e.decode(data)
                    except InvalidEncoding as err:
                        raise SplitView(f"{source.name}: entry {i} is not a canonical entry ({err})",
                                        [(source.name, head.to_text())], first_entry=i) from None
                    log.append(rfc6962.leaf_hash(data))
            if log.root() != head.root:
                named = f"entry {start}" if head.size - start == 1 else f"one of entries {start}..{head.size - 1}"
                raise SplitView(f"{source.name}: {named} was altered: the log's root at size {head.size} is not the "
                                "signed one", [(source.name, head.to_text())], first_entry=start)
            followed.checkpoint, followed.range = head.to_text(), CompactRange(log.size, list(log.stack))
            report(Verified(source.name, head, head.size - start))

    def _compare(self) -> None:
        """Every pair of latest heads (sources and pinned) must describe one log."""
        seen: list[tuple[str, SignedHead, Source | None]] = [
            (s.name, self.state.sources[s.name].head, s) for s in self.sources
            if s.name in self.state.sources and self.state.sources[s.name].head is not None]
        seen += [(name, SignedHead.from_text(text), None) for name, text in self.pinned]
        for i, first in enumerate(seen):
            for second in seen[i + 1 :]:
                (small_name, small, _), (large_name, large, prover) = sorted((first, second), key=lambda t: t[1].size)
                evidence = [(small_name, small.to_text()), (large_name, large.to_text())]
                if small.size == large.size:
                    if small.root != large.root:
                        raise SplitView(f"split view: {small_name} and {large_name} signed different roots at size "
                                        f"{small.size}", evidence)
                    continue
                if prover is None:  # a pinned head beyond the sources: checked once one of them catches up
                    continue
                proof = _proof(prover, small.size, large.size, evidence)
                try:
                    rfc6962.verify_consistency(small.size, large.size, proof, small.root, large.root)
                except ZkError as err:
                    raise SplitView(f"split view: {large_name}'s head at size {large.size} does not extend "
                                    f"{small_name}'s head at size {small.size} ({err})", evidence, proof) from None


def _call(source: Source, fn):
    """fn(source); a source that does not answer is Unreachable, one that refuses a proof its own
    heads cover is _Refused (the caller holds the heads that make this evidence)."""
    import httpx

    from .client import ApiError

    try:
        return fn(source)
    except ApiError as err:
        if err.status == 400:
            raise _Refused(f"{source.name} refused: {err.detail}") from None
        raise Unreachable(f"{source.name}: {err}") from None
    except (httpx.HTTPError, ValueError) as err:
        raise Unreachable(f"{source.name}: {type(err).__name__}: {err}") from None


def _proof(source: Source, size1: int, size2: int, evidence: list[tuple[str, str]]) -> list[bytes]:
    try:
        return _call(source, lambda s: s.consistency_proof(size1, size2))
    except _Refused as err:
        raise SplitView(f"{err} (a consistency proof from size {size1} to {size2}, which its heads cover)",
                        evidence) from None


class _Refused(Unreachable):
    pass
