"""The ledger's in-memory state and the write operations that stage themselves into it.

`LedgerState` is what the ledger knows between commits: the log's compact range, each issuer's
Poseidon tree and root history, registered circuits, scope counts. It is rebuilt from committed
entries (`apply`) and changed by staging operations inside the writer's transaction. Every
operation validates itself against the state, stages its entries into a `Batch` and returns what
its caller is told; a refusal raises a LedgerError (or InvalidEncoding) and stages nothing, so
the rest of the batch still commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from zkcore.curve import G1
from zkcore.merkle.poseidon_tree import PoseidonTree

from . import entries as e
from . import statements as st
from .errors import (
    BadRevocation,
    ClaimRefused,
    DuplicateRegistration,
    LedgerError,
    NullifierReused,
    StaleStatement,
    UnknownIssuer,
)
from .log import CompactRange
from .store import Tx


def element(value: int) -> bytes:
    """A field element as the store keeps it: 32 bytes, big-endian."""
    return value.to_bytes(32, "big")


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

    def flush(self) -> None:
        """Append the pending leaves to the tree (one batched hash per level)."""
        if self.pending:
            self.tree.extend(self.pending)
            self.pending = []


class LedgerState:
    """The ledger's memory; the Ledger guards it with its lock."""

    def __init__(self, tree_depth: int):
        self.tree_depth = tree_depth
        self.log_range = CompactRange()
        self.issuers: dict[str, IssuerState] = {}
        self.circuits: dict[str, bytes] = {}
        self.counts: Counter = Counter()
        self.scopes: Counter = Counter()
        self.scope_names: set[str] = set()  # scopes whose name is on the ledger
        self.roots_seen = -1  # log index of the latest issuer root read from the store

    def apply(self, entry: e.Entry, index: int) -> None:
        """Replay one committed entry (leaves are appended in batches by flush_all)."""
        self.counts[entry.kind.name] += 1
        if isinstance(entry, e.IssuerRegistered):
            self.issuers[entry.issuer] = IssuerState(entry.issuer, entry.public_key, PoseidonTree(self.tree_depth))
        elif isinstance(entry, e.CircuitKeyRegistered):
            self.circuits[entry.circuit] = entry.vk_digest
        elif isinstance(entry, e.Commitment):
            self.issuers[entry.issuer].pending.append(entry.leaf)
        elif isinstance(entry, e.Revocation):
            state = self.issuers[entry.issuer]
            state.flush()
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

    def flush_all(self) -> None:
        for state in self.issuers.values():
            state.flush()

    def issuer(self, name: str) -> IssuerState:
        try:
            return self.issuers[name]
        except KeyError:
            raise UnknownIssuer(f"issuer {name} is not registered") from None

    def signed_by(self, name: str, key: bytes) -> IssuerState:
        """The issuer, if `key` (which verified the statement) is still its current key."""
        state = self.issuer(name)
        if state.public_key != key:
            raise StaleStatement(f"issuer {name}'s key changed; sign with the current key")
        return state


@dataclass
class Batch:
    """What one transaction writes, as operations stage it."""

    tx: Tx
    first: int  # the log index of the first staged entry
    staged: list[e.Entry] = field(default_factory=list)
    nullifiers: dict[tuple[bytes, bytes], int] = field(default_factory=dict)  # (scope, nullifier) → position
    touched: set[str] = field(default_factory=set)  # issuers whose tree changed

    @property
    def at(self) -> int:
        """The log index the next staged entry gets."""
        return self.first + len(self.staged)


class Operation:
    """A write, staged by the writer inside its transaction."""

    def stage(self, state: LedgerState, batch: Batch) -> object:
        """Validate against `state`, stage entries into `batch`, update `state`; returns the caller's answer."""
        raise NotImplementedError


@dataclass(frozen=True)
class RegisterIssuer(Operation):
    name: str
    public_key: bytes

    def stage(self, state: LedgerState, batch: Batch) -> int:
        if self.name in state.issuers:
            raise DuplicateRegistration(f"issuer {self.name} is already registered")
        entry = e.IssuerRegistered(self.name, self.public_key)
        e.encode(entry)  # validates the name and key
        at = batch.at
        state.issuers[self.name] = IssuerState(self.name, self.public_key, PoseidonTree(state.tree_depth))
        batch.touched.add(self.name)
        batch.staged.append(entry)
        return at


@dataclass(frozen=True)
class RegisterCircuit(Operation):
    name: str
    vk_digest: bytes

    def stage(self, state: LedgerState, batch: Batch) -> int:
        if self.name in state.circuits:
            raise DuplicateRegistration(f"circuit {self.name} is already registered")
        entry = e.CircuitKeyRegistered(self.name, self.vk_digest)
        e.encode(entry)
        at = batch.at
        state.circuits[self.name] = self.vk_digest
        batch.staged.append(entry)
        return at


@dataclass(frozen=True)
class Issue(Operation):
    """Commitments the issuer signed; `key` is the issuer key that verified the signature."""

    issuer: str
    signed: st.SignedIssuance
    key: bytes

    def stage(self, state: LedgerState, batch: Batch) -> list[tuple[int, int]]:
        name, signed = self.issuer, self.signed
        issuer = state.signed_by(name, self.key)
        leaves = list(signed.leaves)
        base = issuer.tree.size + len(issuer.pending)
        if signed.first_leaf != base:
            raise StaleStatement(f"issuer {name}'s next leaf is {base}, not {signed.first_leaf}")
        if base + len(leaves) > issuer.tree.capacity:
            raise LedgerError(f"issuer {name}'s tree is full")
        commitments = [e.Commitment(name, base + k, leaf) for k, leaf in enumerate(leaves)]
        for entry in commitments:
            e.encode(entry)  # validates every leaf before anything is staged
        # The tree itself checks the signed root (one batched hash per level), and is cut back if refused.
        issuer.flush()
        issuer.tree.extend(leaves)
        if issuer.tree.root != signed.root:
            issuer.tree.truncate(base)
            raise StaleStatement(f"the signed root is not issuer {name}'s root after these leaves")
        at = batch.at
        batch.staged.extend(commitments)
        batch.staged.append(e.IssuanceSigned(name, base, len(leaves), st.leaves_digest(leaves), signed.root,
                                             signed.signature))
        batch.touched.add(name)
        return [(base + k, at + k) for k in range(len(leaves))]


@dataclass(frozen=True)
class Revoke(Operation):
    issuer: str
    leaf_index: int
    root: int
    signature: bytes
    key: bytes

    def stage(self, state: LedgerState, batch: Batch) -> int:
        name, leaf_index = self.issuer, self.leaf_index
        issuer = state.signed_by(name, self.key)
        issuer.flush()
        if not isinstance(leaf_index, int) or not 0 <= leaf_index < issuer.tree.size:
            raise BadRevocation(f"issuer {name} has no leaf {leaf_index}")
        if leaf_index in issuer.revoked:
            raise BadRevocation(f"leaf {leaf_index} of issuer {name} is already revoked")
        leaf = issuer.tree.leaf(leaf_index)
        issuer.tree.update(leaf_index, 0)
        if issuer.tree.root != self.root:
            issuer.tree.update(leaf_index, leaf)
            raise StaleStatement(f"the signed root is not issuer {name}'s root after this revocation")
        at = batch.at
        issuer.revoked.add(leaf_index)
        issuer.revoked_through = at
        batch.touched.add(name)
        batch.staged.append(e.Revocation(name, leaf_index))
        batch.staged.append(e.RevocationSigned(name, leaf_index, self.root, self.signature))
        return at


@dataclass(frozen=True)
class RotateKey(Operation):
    issuer: str
    rotation: int
    public_key: bytes
    signature: bytes
    key: bytes

    def stage(self, state: LedgerState, batch: Batch) -> int:
        issuer = state.signed_by(self.issuer, self.key)
        if self.rotation != issuer.rotation + 1:
            raise StaleStatement(f"issuer {self.issuer}'s next key rotation is number {issuer.rotation + 1}")
        entry = e.IssuerKeyRotated(self.issuer, self.rotation, self.public_key, self.signature)
        e.encode(entry)
        at = batch.at
        issuer.public_key, issuer.rotation = self.public_key, self.rotation
        batch.staged.append(entry)
        return at


@dataclass(frozen=True)
class UseNullifier(Operation):
    """A nullifier's use in a scope (Ledger.use_nullifier says what each field means)."""

    scope: int
    nullifier: int
    verifier: str
    receipt_digest: bytes
    claim: Callable[[Tx], bool] | None = None
    scope_name: str | None = None
    payment: tuple[str, G1] | None = None

    def stage(self, state: LedgerState, batch: Batch) -> int:
        entry = e.NullifierUsed(self.scope, self.nullifier, self.verifier, self.receipt_digest)
        e.encode(entry)
        named = self.scope_name is not None and self.scope_name not in state.scope_names
        extra = [e.ScopeNamed(self.scope_name)] if named else []
        if self.payment is not None:
            state.issuer(self.payment[0])
            extra.append(e.ClaimCommitment(*self.payment))
        for x in extra:
            e.encode(x)
        key = (element(self.scope), element(self.nullifier))
        if key in batch.nullifiers or batch.tx.nullifier_index(*key) is not None:
            raise NullifierReused(self.scope)
        if self.claim is not None and not self.claim(batch.tx):
            raise ClaimRefused("the proof request was already answered")
        if named:  # the name first, so readers meet it before its use
            state.scope_names.add(self.scope_name)
            batch.staged.append(extra.pop(0))
        batch.nullifiers[key] = len(batch.staged)
        batch.staged.append(entry)
        batch.staged.extend(extra)
        return batch.first + batch.nullifiers[key]
