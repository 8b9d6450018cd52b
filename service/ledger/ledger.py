"""The compact ledger: one RFC 6962 log of entries, issuer Poseidon trees, nullifiers, signed heads.

Writes go through one writer thread that commits whatever has queued up as one transaction
(group commit): entries, stored log nodes, nullifiers, issuer root snapshots and frontiers, and a
signed head for the new size. A write is acknowledged only after COMMIT returned, so an
acknowledged entry survives kill -9. A nullifier is inserted in the same transaction as its log
entry; a second use in the same scope is refused with NullifierReused.

In-memory state (the log's compact range, issuer trees, root history) is rebuilt from the database
on open and brought up to date inside every write transaction, so several replicas may share one
PostgreSQL database: their writers serialise on the store's lock and each catches up first.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from circuits.credential_query import DEFAULT_DEPTH
from zkcore.curve import G1
from zkcore.errors import InvalidEncoding, ZkError
from zkcore.merkle import rfc6962
from zkcore.merkle.poseidon_tree import Frontier, MerklePath, PoseidonTree
from zkcore.params import R

from ..batching import next_batch
from . import entries as e
from . import statements as st
from .checkpoint import LedgerKey, Receipt, SignedHead, verify_signature
from .log import CompactRange, StoredNodes
from .store import Store, Tx

log = logging.getLogger("zkelig.ledger")

DEFAULT_ROOT_WINDOW_S = 3600.0
MAX_BATCH = 4096


class LedgerError(Exception):
    """A refused write; `code` is stable and safe to return to a client."""

    code = "ledger_error"


class UnknownIssuer(LedgerError):
    code = "unknown_issuer"


class DuplicateRegistration(LedgerError):
    code = "already_registered"


class BadRevocation(LedgerError):
    code = "bad_revocation"


class ClaimRefused(LedgerError):
    code = "claim_refused"


class BadStatement(LedgerError):
    """The issuer's signature does not cover what was submitted (service.ledger.statements)."""

    code = "bad_statement"


class StaleStatement(LedgerError):
    """The statement was signed against a state of the issuer's tree or key that is no longer current:
    fetch the frontier again, sign again."""

    code = "stale_statement"


class NullifierReused(LedgerError):
    code = "nullifier_reused"

    def __init__(self, scope: int):
        super().__init__(f"this nullifier was already used in scope {scope:#066x}")
        self.scope = scope


@dataclass
class IssuerState:
    name: str
    public_key: bytes  # the current key: the registered one, or the latest rotation's
    tree: PoseidonTree
    rotation: int = 0  # key rotations so far
    revoked: set[int] = field(default_factory=set)
    revoked_through: int = -1  # log index of the latest revocation: earlier roots are refused
    roots: list[tuple[int, int, int]] = field(default_factory=list)  # (root, log index, published ms)
    pending: list[int] = field(default_factory=list)  # leaves staged in the current batch


@dataclass
class _Op:
    kind: str
    args: tuple
    future: Future


def _element(value: int) -> bytes:
    return value.to_bytes(32, "big")


class Ledger:
    def __init__(self, store: Store, key: LedgerKey, origin: str = "zkelig/ledger",
                 tree_depth: int = DEFAULT_DEPTH, root_window_s: float = DEFAULT_ROOT_WINDOW_S,
                 clock: Callable[[], float] = time.time):
        self.store, self.key, self.origin = store, key, origin
        self.tree_depth, self.root_window_s, self.clock = tree_depth, root_window_s, clock
        self._state_lock = threading.RLock()  # guards in-memory state against readers mid-commit
        self._reset()
        with store.write() as tx:
            self._catch_up(tx)
        self._queue: queue.Queue[_Op | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="zkelig-ledger-writer", daemon=True)
        self._writer.start()

    # --- state --------------------------------------------------------------------------------

    def _reset(self) -> None:
        self.log = CompactRange()
        self.issuers: dict[str, IssuerState] = {}
        self.circuits: dict[str, bytes] = {}
        self.counts: Counter = Counter()
        self.scopes: Counter = Counter()
        self.scope_names: set[str] = set()  # scopes whose name is on the ledger
        self._head: SignedHead | None = None
        self._roots_seen = -1
        # True after a failed commit whose reload failed too (the database was unreachable): the
        # memory is empty, so reads must reload first rather than answer from it.
        self._stale = False

    def _catch_up(self, tx: Tx) -> None:
        """Apply entries other writers (or an earlier run) committed beyond our size.

        `tx` may be a read snapshot older than our own latest commit: then there is nothing to do."""
        size = tx.size()
        if size <= self.log.size:  # the common case: no lock, so readers never queue behind the writer
            return
        with self._state_lock:
            if size <= self.log.size:
                return
            for start in range(self.log.size, size, 65536):
                for i, data in enumerate(tx.entries(start, min(size, start + 65536)), start):
                    self._apply(e.decode(data), i)
                    self.log.append(rfc6962.leaf_hash(data))
            self._flush_all()
            for issuer, root, idx, ts in tx.roots(self._roots_seen):
                self.issuers[issuer].roots.append((int.from_bytes(root, "big"), idx, ts))
                self._roots_seen = idx
            text = tx.latest_head()
            self._head = SignedHead.from_text(text) if text else None
            if self._head is None or self._head.size != self.log.size or self._head.root != self.log.root():
                raise RuntimeError("the ledger's entries do not match its latest signed head; run `zkelig audit`")

    def _apply(self, entry: e.Entry, index: int) -> None:
        """Replay one committed entry into memory (leaves are appended in batches by _flush)."""
        self.counts[entry.kind.name] += 1
        if isinstance(entry, e.IssuerRegistered):
            self.issuers[entry.issuer] = IssuerState(entry.issuer, entry.public_key, PoseidonTree(self.tree_depth))
        elif isinstance(entry, e.CircuitKeyRegistered):
            self.circuits[entry.circuit] = entry.vk_digest
        elif isinstance(entry, e.Commitment):
            self.issuers[entry.issuer].pending.append(entry.leaf)
        elif isinstance(entry, e.Revocation):
            state = self.issuers[entry.issuer]
            self._flush(state)
            state.tree.update(entry.leaf_index, 0)
            state.revoked.add(entry.leaf_index)
            state.revoked_through = index
        elif isinstance(entry, e.NullifierUsed):
            self.scopes[entry.scope] += 1
        elif isinstance(entry, e.IssuerKeyRotated):
            state = self.issuers[entry.issuer]
            state.public_key, state.rotation = entry.public_key, entry.rotation
        elif isinstance(entry, e.ScopeNamed):
            self.scope_names.add(entry.name)

    @staticmethod
    def _flush(state: IssuerState) -> None:
        if state.pending:
            state.tree.extend(state.pending)
            state.pending = []

    def _flush_all(self) -> None:
        for state in self.issuers.values():
            self._flush(state)

    # --- the writer ---------------------------------------------------------------------------

    def _submit(self, kind: str, *args) -> Future:
        future: Future = Future()
        self._queue.put(_Op(kind, args, future))
        return future

    def _write_loop(self) -> None:
        while True:
            batch = next_batch(self._queue, MAX_BATCH)
            if batch is None:
                return
            try:
                self._commit(batch)
            except Exception as err:  # noqa: BLE001 - the writer must outlive any one batch
                for op in batch:
                    if not op.future.done():
                        op.future.set_exception(err)

    def _commit(self, batch: list[_Op]) -> None:
        results: list[object] = []
        try:
            with self.store.write() as tx, self._state_lock:
                self._catch_up(tx)
                staged: list[e.Entry] = []
                nullifiers: dict[tuple[bytes, bytes], int] = {}
                touched: set[str] = set()
                for op in batch:
                    try:
                        results.append(self._stage(op, tx, staged, nullifiers, touched))
                    except (LedgerError, InvalidEncoding) as err:
                        results.append(err)
                if not staged:
                    raise _NothingToWrite
                now_ms = int(self.clock() * 1000)
                self._flush_all()
                for name in sorted(touched):
                    tree = self.issuers[name].tree
                    staged.append(e.IssuerRoot(name, tree.size, tree.root))
                self._write(tx, staged, nullifiers, touched, now_ms)
        except _NothingToWrite:
            pass
        except BaseException as err:  # the transaction rolled back: memory may be ahead of the database
            log.error("ledger commit failed (%s); reloading state from the database", type(err).__name__)
            with self._state_lock:
                self._reset()
                self._stale = True
            try:
                self.refresh()
            except Exception as reload_err:  # noqa: BLE001 - the next read or write reloads it
                log.error("reloading the ledger failed (%s); it reloads on next use", type(reload_err).__name__)
            for op in batch:
                if not op.future.done():
                    op.future.set_exception(err if isinstance(err, Exception) else RuntimeError(str(err)))
            return
        for op, result in zip(batch, results):
            if isinstance(result, Exception):
                op.future.set_exception(result)
            else:
                op.future.set_result(result)

    def _write(self, tx: Tx, staged: list[e.Entry], nullifiers: dict, touched: set[str], now_ms: int) -> None:
        first = self.log.size
        data = [e.encode(entry) for entry in staged]
        nodes: list[tuple[int, bytes]] = []
        for i, (entry, blob) in enumerate(zip(staged, data)):
            self.log.append(rfc6962.leaf_hash(blob), nodes)
            self.counts[entry.kind.name] += 1
            if isinstance(entry, e.IssuerRoot):
                self.issuers[entry.issuer].roots.append((entry.root, first + i, now_ms))
                self._roots_seen = first + i
            elif isinstance(entry, e.NullifierUsed):
                self.scopes[entry.scope] += 1
        tx.insert_entries(first, data)
        tx.insert_nodes(nodes)
        tx.insert_nullifiers([(s, n, first + pos) for (s, n), pos in nullifiers.items()])
        tx.insert_roots([(r.issuer, _element(r.root), first + i, now_ms) for i, r in enumerate(staged)
                         if isinstance(r, e.IssuerRoot)])
        tx.save_frontiers([(name, self.issuers[name].tree.frontier().to_bytes()) for name in sorted(touched)])
        head = self.key.sign_head(self.origin, self.log.size, self.log.root(), now_ms)
        tx.insert_head(head.size, head.to_text())
        self._head = head

    def _stage(self, op: _Op, tx: Tx, staged: list, nullifiers: dict, touched: set[str]):
        """Validate one operation and stage its entries; returns what the caller is told."""
        at = self.log.size + len(staged)
        if op.kind in ("issuer", "circuit"):
            name, key = op.args
            registry = self.issuers if op.kind == "issuer" else self.circuits
            if name in registry:
                raise DuplicateRegistration(f"{op.kind} {name} is already registered")
            entry = (e.IssuerRegistered if op.kind == "issuer" else e.CircuitKeyRegistered)(name, key)
            e.encode(entry)  # validates the name and key
            if op.kind == "issuer":
                self.issuers[name] = IssuerState(name, key, PoseidonTree(self.tree_depth))
                touched.add(name)
            else:
                self.circuits[name] = key
            staged.append(entry)
            return at
        if op.kind == "issue":
            name, signed, key = op.args
            state = self._signed_by(name, key)
            leaves = list(signed.leaves)
            base = state.tree.size + len(state.pending)
            if signed.first_leaf != base:
                raise StaleStatement(f"issuer {name}'s next leaf is {base}, not {signed.first_leaf}")
            if base + len(leaves) > state.tree.capacity:
                raise LedgerError(f"issuer {name}'s tree is full")
            commitments = [e.Commitment(name, base + k, leaf) for k, leaf in enumerate(leaves)]
            for entry in commitments:
                e.encode(entry)  # validates every leaf before anything is staged
            # The tree itself checks the signed root (one batched hash per level), and is cut back if refused.
            self._flush(state)
            state.tree.extend(leaves)
            if state.tree.root != signed.root:
                state.tree.truncate(base)
                raise StaleStatement(f"the signed root is not issuer {name}'s root after these leaves")
            staged.extend(commitments)
            staged.append(e.IssuanceSigned(name, base, len(leaves), st.leaves_digest(leaves), signed.root,
                                           signed.signature))
            touched.add(name)
            return [(base + k, at + k) for k in range(len(leaves))]
        if op.kind == "revoke":
            name, leaf_index, root, signature, key = op.args
            state = self._signed_by(name, key)
            self._flush(state)
            if not isinstance(leaf_index, int) or not 0 <= leaf_index < state.tree.size:
                raise BadRevocation(f"issuer {name} has no leaf {leaf_index}")
            if leaf_index in state.revoked:
                raise BadRevocation(f"leaf {leaf_index} of issuer {name} is already revoked")
            leaf = state.tree.leaf(leaf_index)
            state.tree.update(leaf_index, 0)
            if state.tree.root != root:
                state.tree.update(leaf_index, leaf)
                raise StaleStatement(f"the signed root is not issuer {name}'s root after this revocation")
            state.revoked.add(leaf_index)
            state.revoked_through = at
            touched.add(name)
            staged.append(e.Revocation(name, leaf_index))
            staged.append(e.RevocationSigned(name, leaf_index, root, signature))
            return at
        if op.kind == "rotate":
            name, rotation, public_key, signature, key = op.args
            state = self._signed_by(name, key)
            if rotation != state.rotation + 1:
                raise StaleStatement(f"issuer {name}'s next key rotation is number {state.rotation + 1}")
            entry = e.IssuerKeyRotated(name, rotation, public_key, signature)
            e.encode(entry)
            state.public_key, state.rotation = public_key, rotation
            staged.append(entry)
            return at
        if op.kind == "nullifier":
            scope, nullifier, verifier, receipt_digest, claim, scope_name, payment = op.args
            entry = e.NullifierUsed(scope, nullifier, verifier, receipt_digest)
            e.encode(entry)
            extra = [] if scope_name is None or scope_name in self.scope_names else [e.ScopeNamed(scope_name)]
            if payment is not None:
                self._issuer(payment[0])
                extra.append(e.ClaimCommitment(*payment))
            for x in extra:
                e.encode(x)
            key = (_element(scope), _element(nullifier))
            if key in nullifiers or tx.nullifier_index(*key) is not None:
                raise NullifierReused(scope)
            if claim is not None and not claim(tx):
                raise ClaimRefused("the proof request was already answered")
            if extra and isinstance(extra[0], e.ScopeNamed):  # the name first, so readers meet it before its use
                self.scope_names.add(scope_name)
                staged.append(extra.pop(0))
            nullifiers[key] = len(staged)
            staged.append(entry)
            staged.extend(extra)
            return self.log.size + nullifiers[key]
        raise ValueError(f"unknown ledger operation {op.kind}")

    def _issuer(self, name: str) -> IssuerState:
        try:
            return self.issuers[name]
        except KeyError:
            raise UnknownIssuer(f"issuer {name} is not registered") from None

    def _signed_by(self, name: str, key: bytes) -> IssuerState:
        """The issuer, if `key` (which verified the statement) is still its current key."""
        state = self._issuer(name)
        if state.public_key != key:
            raise StaleStatement(f"issuer {name}'s key changed; sign with the current key")
        return state

    def _verified_key(self, issuer: str, statement: bytes, signature: bytes) -> bytes:
        """The issuer's current key, once it verified `signature` over `statement`; BadStatement otherwise.

        Runs in the caller's thread, so the writer's transaction never waits for a signature check."""
        with self._state_lock:
            key = self._issuer(issuer).public_key
        try:
            verify_signature(key, signature, statement)
        except ZkError:
            raise BadStatement(f"the statement is not signed by issuer {issuer}'s current key") from None
        return key

    # --- writes (each blocks until its transaction committed) ---------------------------------

    def register_issuer(self, name: str, public_key: bytes) -> int:
        return self._submit("issuer", name, public_key).result()

    def register_circuit(self, name: str, vk_digest: bytes) -> int:
        return self._submit("circuit", name, vk_digest).result()

    def issue(self, issuer: str, signed: st.SignedIssuance) -> list[tuple[int, int]]:
        """Append commitments the issuer signed; returns (leaf index, log index) per leaf."""
        return self.issue_async(issuer, signed).result()

    def issue_async(self, issuer: str, signed: st.SignedIssuance) -> Future:
        if not signed.leaves or not all(isinstance(x, int) and 0 <= x < R for x in signed.leaves):
            raise InvalidEncoding("leaves must be one or more field elements")
        statement = st.issuance_statement(self.origin, issuer, signed.first_leaf, len(signed.leaves),
                                          st.leaves_digest(signed.leaves), signed.root)
        key = self._verified_key(issuer, statement, signed.signature)
        return self._submit("issue", issuer, signed, key)

    def revoke(self, issuer: str, leaf_index: int, root: int, signature: bytes) -> int:
        """Revoke a leaf; `signature` is the issuer's over statements.revocation_statement."""
        key = self._verified_key(issuer, st.revocation_statement(self.origin, issuer, leaf_index, root), signature)
        return self._submit("revoke", issuer, leaf_index, root, signature, key).result()

    def rotate_issuer_key(self, issuer: str, rotation: int, public_key: bytes, signature: bytes) -> int:
        """Replace the issuer's key; `signature` is the current key's over statements.rotation_statement."""
        statement = st.rotation_statement(self.origin, issuer, rotation, public_key)
        key = self._verified_key(issuer, statement, signature)
        return self._submit("rotate", issuer, rotation, public_key, signature, key).result()

    def issuer_key(self, issuer: str) -> tuple[bytes, int]:
        """The issuer's current public key and the number of rotations that led to it."""
        with self._state_lock:
            state = self._issuer(issuer)
            return state.public_key, state.rotation

    def use_nullifier(self, scope: int, nullifier: int, verifier: str, receipt_digest: bytes,
                      claim: Callable[[Tx], bool] | None = None, scope_name: str | None = None,
                      payment: tuple[str, G1] | None = None) -> int:
        """Record a nullifier's use in `scope`; NullifierReused if it was used there before.

        `claim(tx)`, if given, runs in the same transaction and must return True (it marks what the
        use answers, e.g. a proof request, as answered); False refuses with ClaimRefused.
        `scope_name` (the name whose scope_id is `scope`) is recorded in clear the first time the scope
        is used; `payment` = (payer, Pedersen commitment to the amount) is recorded after the nullifier."""
        return self.use_nullifier_async(scope, nullifier, verifier, receipt_digest, claim, scope_name, payment).result()

    def use_nullifier_async(self, scope: int, nullifier: int, verifier: str, receipt_digest: bytes,
                            claim: Callable[[Tx], bool] | None = None, scope_name: str | None = None,
                            payment: tuple[str, G1] | None = None) -> Future:
        return self._submit("nullifier", scope, nullifier, verifier, receipt_digest, claim, scope_name, payment)

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join(timeout=30)
        self.store.close()

    # --- reads --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Catch up with entries other replicas committed (one cheap read when there are none).
        StoreUnavailable if the database cannot be read."""
        with self.store.read() as tx:  # a consistent snapshot: entries, roots and head agree
            self._catch_up(tx)
        if self._stale:
            with self._state_lock:
                self._stale = False

    def _loaded(self) -> None:
        """Reads answered from memory call this first: after a failed reload, memory is empty."""
        if self._stale:
            self.refresh()

    def head(self) -> SignedHead:
        self._loaded()
        with self._state_lock:
            if self._head is None:
                raise LookupError("the ledger is empty")
            return self._head

    @property
    def size(self) -> int:
        self._loaded()
        head = self._head
        return head.size if head else 0

    def entries(self, start: int, end: int) -> list[bytes]:
        """Committed entries in [start, end): read from the database, not bounded by this replica's
        memory (which may lag another worker's commits); each is covered by a committed signed head."""
        if start >= end:
            return []
        with self.store.read() as tx:
            return tx.entries(start, end)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._check_size(size)
        with self.store.read() as tx:
            return StoredNodes(tx).proof(rfc6962.inclusion_proof, index, size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        self._check_size(size2)
        with self.store.read() as tx:
            return StoredNodes(tx).proof(rfc6962.consistency_proof, size1, size2)

    def heads(self, after: int = -1) -> list[SignedHead]:
        with self.store.read() as tx:
            return [SignedHead.from_text(text) for _, text in tx.heads(after)]

    def _check_size(self, size: int) -> None:
        if not isinstance(size, int) or not 0 < size <= self.size:
            raise ValueError(f"tree size must be in 1..{self.size}")

    def receipt(self, index: int) -> Receipt:
        """Entry `index` with its inclusion proof under the latest signed head."""
        head = self.head()
        if not 0 <= index < head.size:
            raise ValueError(f"no entry {index}")
        with self.store.read() as tx:
            data = tx.entries(index, index + 1)[0]
            proof = rfc6962.inclusion_proof(StoredNodes(tx), index, head.size)
        return Receipt(data, index, tuple(proof), head)

    def accepted_roots(self, issuer: str) -> set[int]:
        """Roots a proof may use: the latest, and each replaced less than the window ago,
        none from before the issuer's latest revocation."""
        self._loaded()
        with self._state_lock:
            state = self._issuer(issuer)
            cutoff = (self.clock() - self.root_window_s) * 1000
            roots = [r for r in state.roots if r[1] > state.revoked_through]
            accepted = {roots[-1][0]} if roots else set()
            accepted.update(root for (root, _, _), (_, _, replaced) in zip(roots, roots[1:]) if replaced >= cutoff)
            return accepted

    def issuer_root(self, issuer: str) -> int:
        self._loaded()
        with self._state_lock:
            return self._issuer(issuer).tree.root

    def path(self, issuer: str, leaf_index: int) -> MerklePath:
        self._loaded()
        with self._state_lock:
            state = self._issuer(issuer)
            if leaf_index in state.revoked:
                raise BadRevocation(f"leaf {leaf_index} of issuer {issuer} is revoked")
            return state.tree.path(leaf_index)

    def frontier(self, issuer: str) -> Frontier:
        self._loaded()
        with self._state_lock:
            return self._issuer(issuer).tree.frontier()

    def tree_nodes(self, issuer: str, height: int, start: int, stop: int) -> tuple[int, list[int]]:
        """The issuer tree's size and its stored nodes at `height` in [start, stop) (one tile)."""
        with self._state_lock:
            tree = self._issuer(issuer).tree
            return tree.size, tree.nodes(height, start, stop)

    def nullifier_index(self, scope: int, nullifier: int) -> int | None:
        with self.store.read() as tx:
            return tx.nullifier_index(_element(scope), _element(nullifier))

    def statistics(self) -> dict:
        self._loaded()
        with self._state_lock:
            return {
                "size": self.log.size,
                "entries": dict(self.counts),
                "issuers": {name: {"credentials": s.tree.size, "revoked": len(s.revoked)} for name, s in self.issuers.items()},
                "nullifiers_per_scope": {f"{scope:#066x}": n for scope, n in self.scopes.items()},
            }


class _NothingToWrite(Exception):
    """Every operation in the batch was refused: commit nothing, sign nothing."""
