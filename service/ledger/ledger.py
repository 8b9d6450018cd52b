"""The compact ledger: one RFC 6962 log of entries, issuer Poseidon trees, nullifiers, signed heads.

Writes go through one writer thread that commits whatever has queued up as one transaction
(group commit): entries, stored log nodes, nullifiers, issuer root snapshots and frontiers, and a
signed head for the new size. A write is acknowledged only after COMMIT returned, so an
acknowledged entry survives kill -9. A nullifier is inserted in the same transaction as its log
entry; a second use in the same scope is refused with NullifierReused.

In-memory state (the log's compact range, issuer trees, root history) is rebuilt from the database
on open and brought up to date inside every write transaction, so several replicas may share one
PostgreSQL database: their writers serialise on the store's lock and each catches up first.

In parts: operations.py holds the in-memory state and one class per write that stages itself,
writer.py the group-commit thread, errors.py the refusals; this module the transaction around a
batch and the read API. Readers get copies, taken under the lock (registered_issuers,
circuit_digest, ...), never the live state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from circuits.credential_query import DEFAULT_DEPTH
from zkcore.curve import G1
from zkcore.errors import InvalidEncoding, ZkError
from zkcore.merkle import rfc6962
from zkcore.merkle.poseidon_tree import Frontier, MerklePath
from zkcore.params import R

from . import entries as e
from . import statements as st
from .checkpoint import LedgerKey, Receipt, SignedHead, verify_signature
from .errors import (  # noqa: F401 - re-exported: callers import the errors from here too
    BadRevocation,
    BadStatement,
    ClaimRefused,
    DuplicateRegistration,
    LedgerError,
    NullifierReused,
    StaleStatement,
    UnknownIssuer,
)
from .log import StoredNodes
from .operations import (
    Batch,
    Issue,
    LedgerState,
    Operation,
    RegisterCircuit,
    RegisterIssuer,
    Revoke,
    RotateKey,
    UseNullifier,
    element,
)
from .store import Store, Tx
from .writer import GroupCommitWriter, Pending

logger = logging.getLogger("zkelig.ledger")

DEFAULT_ROOT_WINDOW_S = 3600.0


@dataclass(frozen=True)
class IssuerInfo:
    """A registered issuer as readers see it: a copy, taken under the ledger's lock."""

    name: str
    public_key: bytes  # the current key
    rotation: int  # key rotations so far


class Ledger:
    def __init__(
        self,
        store: Store,
        key: LedgerKey,
        origin: str = "zkelig/ledger",
        tree_depth: int = DEFAULT_DEPTH,
        root_window_s: float = DEFAULT_ROOT_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ):
        self.store, self.key, self.origin = store, key, origin
        self.tree_depth, self.root_window_s, self.clock = tree_depth, root_window_s, clock
        self._state_lock = threading.RLock()  # guards in-memory state against readers mid-commit
        self._reset()
        with store.write() as tx:
            self._catch_up(tx)
        self._writer = GroupCommitWriter(self._commit)

    # --- state --------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._state = LedgerState(self.tree_depth)
        self._head: SignedHead | None = None
        # True after a failed commit whose reload failed too (the database was unreachable): the
        # memory is empty, so reads must reload first rather than answer from it.
        self._stale = False

    def _catch_up(self, tx: Tx) -> None:
        """Apply entries other writers (or an earlier run) committed beyond our size.

        `tx` may be a read snapshot older than our own latest commit: then there is nothing to do."""
        size = tx.size()
        state = self._state
        if size <= state.log_range.size:  # the common case: no lock, so readers never queue behind the writer
            return
        with self._state_lock:
            state = self._state
            if size <= state.log_range.size:
                return
            for start in range(state.log_range.size, size, 65536):
                for i, data in enumerate(tx.entries(start, min(size, start + 65536)), start):
                    state.apply(e.decode(data), i)
                    state.log_range.append(rfc6962.leaf_hash(data))
            state.flush_all()
            for issuer, root, idx, ts in tx.roots(state.roots_seen):
                state.issuers[issuer].roots.append((int.from_bytes(root, "big"), idx, ts))
                state.roots_seen = idx
            text = tx.latest_head()
            self._head = SignedHead.from_text(text) if text else None
            if (
                self._head is None
                or self._head.size != state.log_range.size
                or self._head.root != state.log_range.root()
            ):
                raise RuntimeError("the ledger's entries do not match its latest signed head; run `zkelig audit`")

    # --- the writer's transaction ---------------------------------------------------------------

    def _commit(self, batch: list[Pending]) -> None:
        """Stage every operation of the batch and commit them as one transaction with one signed head;
        a refused operation is told why and the rest still commit."""
        results: list[object] = []
        head = None
        try:
            with self.store.write() as tx, self._state_lock:
                self._catch_up(tx)
                state = self._state
                staging = Batch(tx, state.log_range.size)
                for pending in batch:
                    try:
                        results.append(pending.operation.stage(state, staging))
                    except (LedgerError, InvalidEncoding) as err:
                        results.append(err)
                if not staging.staged:
                    raise _NothingToWrite
                now_ms = int(self.clock() * 1000)
                state.flush_all()
                for name in sorted(staging.touched):
                    tree = state.issuers[name].tree
                    staging.staged.append(e.IssuerRoot(name, tree.size, tree.root))
                head = self._write(tx, staging.staged, staging.nullifiers, staging.touched, now_ms)
            # Published only now that COMMIT returned (the lock is released before it): a reader must never
            # get a head whose entries its own database snapshot cannot see yet.
            with self._state_lock:
                self._head = head
        except _NothingToWrite:
            pass
        except BaseException as err:  # the transaction rolled back: memory may be ahead of the database
            logger.error("ledger commit failed (%s); reloading state from the database", type(err).__name__)
            with self._state_lock:
                self._reset()
                self._stale = True
            try:
                self.refresh()
            except Exception as reload_err:  # noqa: BLE001 - the next read or write reloads it
                logger.error("reloading the ledger failed (%s); it reloads on next use", type(reload_err).__name__)
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(err if isinstance(err, Exception) else RuntimeError(str(err)))
            return
        for pending, result in zip(batch, results):
            if isinstance(result, Exception):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)

    def _write(self, tx: Tx, staged: list[e.Entry], nullifiers: dict, touched: set[str], now_ms: int) -> SignedHead:
        state = self._state
        first = state.log_range.size
        data = [e.encode(entry) for entry in staged]
        nodes: list[tuple[int, bytes]] = []
        for i, (entry, blob) in enumerate(zip(staged, data)):
            state.log_range.append(rfc6962.leaf_hash(blob), nodes)
            state.counts[entry.kind.name] += 1
            if isinstance(entry, e.IssuerRoot):
                state.issuers[entry.issuer].roots.append((entry.root, first + i, now_ms))
                state.roots_seen = first + i
            elif isinstance(entry, e.NullifierUsed):
                state.scopes[entry.scope] += 1
        tx.insert_entries(first, data)
        tx.insert_nodes(nodes)
        tx.insert_nullifiers([(s, n, first + pos) for (s, n), pos in nullifiers.items()])
        tx.insert_roots(
            [
                (r.issuer, element(r.root), first + i, now_ms)
                for i, r in enumerate(staged)
                if isinstance(r, e.IssuerRoot)
            ]
        )
        tx.save_frontiers([(name, state.issuers[name].tree.frontier().to_bytes()) for name in sorted(touched)])
        head = self.key.sign_head(self.origin, state.log_range.size, state.log_range.root(), now_ms)
        tx.insert_head(head.size, head.to_text())
        return head

    def _submit(self, operation: Operation) -> Future:
        return self._writer.submit(operation)

    def _verified_key(self, issuer: str, statement: bytes, signature: bytes) -> bytes:
        """The issuer's current key, once it verified `signature` over `statement`; BadStatement otherwise.

        Runs in the caller's thread, so the writer's transaction never waits for a signature check."""
        with self._state_lock:
            key = self._state.issuer(issuer).public_key
        try:
            verify_signature(key, signature, statement)
        except ZkError:
            raise BadStatement(f"the statement is not signed by issuer {issuer}'s current key") from None
        return key

    # --- writes (each blocks until its transaction committed) ---------------------------------

    def register_issuer(self, name: str, public_key: bytes) -> int:
        return self._submit(RegisterIssuer(name, public_key)).result()

    def register_circuit(self, name: str, vk_digest: bytes) -> int:
        return self._submit(RegisterCircuit(name, vk_digest)).result()

    def issue(self, issuer: str, signed: st.SignedIssuance) -> list[tuple[int, int]]:
        """Append commitments the issuer signed; returns (leaf index, log index) per leaf."""
        return self.issue_async(issuer, signed).result()

    def issue_async(self, issuer: str, signed: st.SignedIssuance) -> Future:
        if not signed.leaves or not all(isinstance(x, int) and 0 <= x < R for x in signed.leaves):
            raise InvalidEncoding("leaves must be one or more field elements")
        statement = st.issuance_statement(
            self.origin, issuer, signed.first_leaf, len(signed.leaves), st.leaves_digest(signed.leaves), signed.root
        )
        key = self._verified_key(issuer, statement, signed.signature)
        return self._submit(Issue(issuer, signed, key))

    def revoke(self, issuer: str, leaf_index: int, root: int, signature: bytes) -> int:
        """Revoke a leaf; `signature` is the issuer's over statements.revocation_statement."""
        key = self._verified_key(issuer, st.revocation_statement(self.origin, issuer, leaf_index, root), signature)
        return self._submit(Revoke(issuer, leaf_index, root, signature, key)).result()

    def rotate_issuer_key(self, issuer: str, rotation: int, public_key: bytes, signature: bytes) -> int:
        """Replace the issuer's key; `signature` is the current key's over statements.rotation_statement."""
        statement = st.rotation_statement(self.origin, issuer, rotation, public_key)
        key = self._verified_key(issuer, statement, signature)
        return self._submit(RotateKey(issuer, rotation, public_key, signature, key)).result()

    def use_nullifier(
        self,
        scope: int,
        nullifier: int,
        verifier: str,
        receipt_digest: bytes,
        claim: Callable[[Tx], bool] | None = None,
        scope_name: str | None = None,
        payment: tuple[str, G1] | None = None,
    ) -> int:
        """Record a nullifier's use in `scope`; NullifierReused if it was used there before.

        `claim(tx)`, if given, runs in the same transaction and must return True (it marks what the
        use answers, e.g. a proof request, as answered); False refuses with ClaimRefused.
        `scope_name` (the name whose scope_id is `scope`) is recorded in clear the first time the scope
        is used; `payment` = (payer, Pedersen commitment to the amount) is recorded after the nullifier."""
        return self.use_nullifier_async(scope, nullifier, verifier, receipt_digest, claim, scope_name, payment).result()

    def use_nullifier_async(
        self,
        scope: int,
        nullifier: int,
        verifier: str,
        receipt_digest: bytes,
        claim: Callable[[Tx], bool] | None = None,
        scope_name: str | None = None,
        payment: tuple[str, G1] | None = None,
    ) -> Future:
        return self._submit(UseNullifier(scope, nullifier, verifier, receipt_digest, claim, scope_name, payment))

    def close(self) -> None:
        self._writer.close()
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

    def has_issuer(self, issuer: str) -> bool:
        self._loaded()
        with self._state_lock:
            return issuer in self._state.issuers

    def registered_issuers(self) -> dict[str, IssuerInfo]:
        """Every registered issuer, by name, with its current key."""
        self._loaded()
        with self._state_lock:
            return {s.name: IssuerInfo(s.name, s.public_key, s.rotation) for s in self._state.issuers.values()}

    def issuer_key(self, issuer: str) -> tuple[bytes, int]:
        """The issuer's current public key and the number of rotations that led to it."""
        with self._state_lock:
            state = self._state.issuer(issuer)
            return state.public_key, state.rotation

    def circuit_digest(self, circuit: str) -> bytes | None:
        """The digest of the verification key registered for `circuit`, if any."""
        self._loaded()
        with self._state_lock:
            return self._state.circuits.get(circuit)

    def accepted_roots(self, issuer: str) -> set[int]:
        """Roots a proof may use: the latest, and each replaced less than the window ago,
        none from before the issuer's latest revocation."""
        self._loaded()
        with self._state_lock:
            state = self._state.issuer(issuer)
            cutoff = (self.clock() - self.root_window_s) * 1000
            roots = [r for r in state.roots if r[1] > state.revoked_through]
            accepted = {roots[-1][0]} if roots else set()
            accepted.update(root for (root, _, _), (_, _, replaced) in zip(roots, roots[1:]) if replaced >= cutoff)
            return accepted

    def issuer_root(self, issuer: str) -> int:
        self._loaded()
        with self._state_lock:
            return self._state.issuer(issuer).tree.root

    def path(self, issuer: str, leaf_index: int) -> MerklePath:
        self._loaded()
        with self._state_lock:
            state = self._state.issuer(issuer)
            if leaf_index in state.revoked:
                raise BadRevocation(f"leaf {leaf_index} of issuer {issuer} is revoked")
            return state.tree.path(leaf_index)

    def frontier(self, issuer: str) -> Frontier:
        self._loaded()
        with self._state_lock:
            return self._state.issuer(issuer).tree.frontier()

    def tree_nodes(self, issuer: str, height: int, start: int, stop: int) -> tuple[int, list[int]]:
        """The issuer tree's size and its stored nodes at `height` in [start, stop) (one tile)."""
        with self._state_lock:
            tree = self._state.issuer(issuer).tree
            return tree.size, tree.nodes(height, start, stop)

    def nullifier_index(self, scope: int, nullifier: int) -> int | None:
        with self.store.read() as tx:
            return tx.nullifier_index(element(scope), element(nullifier))

    def statistics(self) -> dict:
        self._loaded()
        with self._state_lock:
            return {
                "size": self._state.log_range.size,
                "entries": dict(self._state.counts),
                "issuers": {
                    name: {"credentials": s.tree.size, "revoked": len(s.revoked)}
                    for name, s in self._state.issuers.items()
                },
                "nullifiers_per_scope": {f"{scope:#066x}": n for scope, n in self._state.scopes.items()},
            }


class _NothingToWrite(Exception):
    """Every operation in the batch was refused: commit nothing, sign nothing."""
