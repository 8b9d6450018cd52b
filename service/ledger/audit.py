"""Replay a ledger from scratch and check everything a regulator should not have to take on trust.

From any source of entries, heads and consistency proofs (the database, or a running service's
API), `audit` rebuilds the RFC 6962 log and every issuer's Poseidon tree and checks:

- every entry decodes canonically and makes sense where it stands (issuers registered once,
  commitments at the next leaf index of a registered issuer, revocations of live leaves, root
  snapshots equal to the rebuilt tree, each nullifier used once per scope, each scope named once,
  claims owed by registered issuers);
- every change of an issuer's tree (commitments, a revocation) is followed by the issuer's signed
  statement covering exactly that change and the root it results in, under the key the issuer
  registered or rotated to (each rotation signed by the key it replaces): the ledger's operator,
  who holds the ledger key and the database, cannot add or remove a credential unnoticed;
- every signed head verifies under the ledger's public key and its root is the rebuilt log's root
  at its size; consecutive heads are consistent (the source's consistency proof verifies);
- no entry lies beyond the latest signed head.

It stops at the first inconsistency and names the entry (or the smallest range of entries that
the signed heads allow: a flipped byte inside a commitment shows only as a wrong root).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from circuits.credential_query import DEFAULT_DEPTH
from zkcore.errors import InvalidEncoding, ZkError
from zkcore.merkle import rfc6962
from zkcore.merkle.poseidon_tree import PoseidonTree

from . import entries as e
from . import statements as st
from .checkpoint import SignedHead, verify_signature
from .log import CompactRange, StoredNodes

CHUNK = 8192


class AuditSource(Protocol):
    def heads(self) -> list[str]: ...
    def size(self) -> int: ...
    def entries(self, start: int, end: int) -> list[bytes]: ...
    def consistency_proof(self, size1: int, size2: int) -> list[bytes]: ...


class Inconsistent(Exception):
    def __init__(self, message: str, first_entry: int | None):
        super().__init__(message)
        self.first_entry = first_entry


@dataclass
class AuditReport:
    size: int = 0
    heads: int = 0
    kinds: Counter = field(default_factory=Counter)
    issuers: dict[str, dict[str, int]] = field(default_factory=dict)
    scopes: Counter = field(default_factory=Counter)
    problem: str | None = None
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Replay:
    def __init__(self, tree_depth: int, origin: str = ""):
        self.depth, self.origin = tree_depth, origin
        self.log = CompactRange()
        self.trees: dict[str, PoseidonTree] = {}
        self.pending: dict[str, list[int]] = {}
        self.revoked: dict[str, set[int]] = {}
        self.circuits: set[str] = set()
        self.nullifiers: set[tuple[int, int]] = set()
        self.keys: dict[str, tuple[bytes, int]] = {}  # issuer → (current public key, rotations)
        # Changes of each issuer's tree not yet covered by its signed statement: (log index, leaf index, leaf),
        # leaf None for a revocation.
        self.unsigned: dict[str, list[tuple[int, int, int | None]]] = {}
        self.scope_names: set[str] = set()
        self.suspect: Inconsistent | None = None

    def _tree(self, issuer: str, index: int) -> PoseidonTree:
        if issuer not in self.trees:
            raise Inconsistent(f"entry {index}: issuer {issuer} is not registered", index)
        tree = self.trees[issuer]
        if self.pending[issuer]:
            tree.extend(self.pending[issuer])
            self.pending[issuer] = []
        return tree

    def apply(self, data: bytes, index: int, report: AuditReport) -> None:
        try:
            entry = e.decode(data)
        except InvalidEncoding as err:
            raise Inconsistent(f"entry {index}: not a canonical entry ({err})", index) from None
        report.kinds[entry.kind.name] += 1
        if isinstance(entry, e.IssuerRegistered):
            if entry.issuer in self.trees:
                raise Inconsistent(f"entry {index}: issuer {entry.issuer} registered twice", index)
            self.trees[entry.issuer] = PoseidonTree(self.depth)
            self.pending[entry.issuer], self.revoked[entry.issuer] = [], set()
            self.keys[entry.issuer], self.unsigned[entry.issuer] = (entry.public_key, 0), []
        elif isinstance(entry, e.CircuitKeyRegistered):
            if entry.circuit in self.circuits:
                raise Inconsistent(f"entry {index}: circuit {entry.circuit} registered twice", index)
            self.circuits.add(entry.circuit)
        elif isinstance(entry, e.Commitment):
            if entry.issuer not in self.trees:
                raise Inconsistent(f"entry {index}: issuer {entry.issuer} is not registered", index)
            expected = self.trees[entry.issuer].size + len(self.pending[entry.issuer])
            if entry.leaf_index != expected:
                raise Inconsistent(f"entry {index}: commitment at leaf {entry.leaf_index}, expected {expected}", index)
            self.pending[entry.issuer].append(entry.leaf)
            self.unsigned[entry.issuer].append((index, entry.leaf_index, entry.leaf))
        elif isinstance(entry, e.Revocation):
            tree = self._tree(entry.issuer, index)
            if not entry.leaf_index < tree.size or entry.leaf_index in self.revoked[entry.issuer]:
                raise Inconsistent(f"entry {index}: revocation of leaf {entry.leaf_index} that is not live", index)
            tree.update(entry.leaf_index, 0)
            self.revoked[entry.issuer].add(entry.leaf_index)
            self.unsigned[entry.issuer].append((index, entry.leaf_index, None))
        elif isinstance(entry, (e.IssuanceSigned, e.RevocationSigned, e.IssuerKeyRotated)):
            self._check_statement(entry, index)
        elif isinstance(entry, e.NullifierUsed):
            key = (entry.scope, entry.nullifier)
            if key in self.nullifiers:
                raise Inconsistent(f"entry {index}: nullifier used twice in scope {entry.scope:#x}", index)
            self.nullifiers.add(key)
            report.scopes[f"{entry.scope:#066x}"] += 1
        elif isinstance(entry, e.ScopeNamed):
            if entry.name in self.scope_names:
                raise Inconsistent(f"entry {index}: scope {entry.name} named twice", index)
            self.scope_names.add(entry.name)
        elif isinstance(entry, e.ClaimCommitment):
            if entry.payer not in self.trees:
                raise Inconsistent(f"entry {index}: claim owed by {entry.payer}, not a registered issuer", index)
        elif isinstance(entry, e.IssuerRoot):
            tree = self._tree(entry.issuer, index)
            if (entry.tree_size != tree.size or entry.root != tree.root) and self.suspect is None:
                # Raised at the next signed head, which bounds the altered entry more tightly.
                self.suspect = Inconsistent(
                    f"entry {index}: issuer {entry.issuer}'s root snapshot does not match its rebuilt tree", index
                )
        self.log.append(rfc6962.leaf_hash(data))

    def _check_statement(self, entry, index: int) -> None:
        """The issuer's statement must cover exactly its unsigned changes, and its signature verify.

        A failure is raised at the next signed head, like a root snapshot's: if the head's root does not
        match either, an altered entry before the statement is the likelier cause, and is named first."""
        if entry.issuer not in self.trees:
            raise Inconsistent(f"entry {index}: issuer {entry.issuer} is not registered", index)
        changes, (key, rotation) = self.unsigned[entry.issuer], self.keys[entry.issuer]
        if isinstance(entry, e.IssuanceSigned):
            leaves = [leaf for _, _, leaf in changes]
            covered = (
                len(changes) == entry.count
                and None not in leaves
                and changes[0][1] == entry.first_leaf
                and st.leaves_digest(leaves) == entry.leaves_digest
            )
            statement = st.issuance_statement(
                self.origin, entry.issuer, entry.first_leaf, entry.count, entry.leaves_digest, entry.root
            )
        elif isinstance(entry, e.RevocationSigned):
            covered = len(changes) == 1 and changes[0][1:] == (entry.leaf_index, None)
            statement = st.revocation_statement(self.origin, entry.issuer, entry.leaf_index, entry.root)
        else:
            covered = not changes and entry.rotation == rotation + 1
            statement = st.rotation_statement(self.origin, entry.issuer, entry.rotation, entry.public_key)
        problem = None if covered else "signed statement does not cover the changes before it"
        if problem is None:
            try:
                verify_signature(key, entry.signature, statement)
            except ZkError:
                problem = "statement is not signed by the issuer's key"
        if (
            problem is None
            and not isinstance(entry, e.IssuerKeyRotated)
            and self._tree(entry.issuer, index).root != entry.root
        ):
            problem = "signed root is not its rebuilt tree's root"
        if problem is not None and self.suspect is None:
            self.suspect = Inconsistent(f"entry {index}: issuer {entry.issuer}'s {problem}", index)
        if problem is None and isinstance(entry, e.IssuerKeyRotated):
            self.keys[entry.issuer] = (entry.public_key, entry.rotation)
        changes.clear()

    def check_signed(self) -> None:
        """At a signed head, every change of every issuer tree must be covered by the issuer's signature."""
        for issuer, changes in self.unsigned.items():
            if changes:
                first = changes[0][0]
                raise Inconsistent(
                    f"entry {first}: a change to issuer {issuer}'s tree that the issuer did not sign", first
                )


def audit(
    source: AuditSource,
    public_key: bytes,
    tree_depth: int = DEFAULT_DEPTH,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> AuditReport:
    report = AuditReport()
    replay = _Replay(tree_depth)
    try:
        heads = []
        for text in source.heads():
            try:
                head = SignedHead.from_text(text)
                head.verify(public_key)
            except ZkError as err:
                raise Inconsistent(f"signed head {text.splitlines()[1:2]}: {err}", None) from None
            heads.append(head)
        replay.origin = heads[0].origin if heads else ""  # what issuers' statements name
        size = source.size()
        last = heads[-1].size if heads else 0
        if size != last:
            raise Inconsistent(f"the log holds {size} entries but its latest signed head covers {last}", last)
        report.size, report.heads = size, len(heads)
        next_head, previous = 0, None
        for start in range(0, size, CHUNK):
            chunk = source.entries(start, min(size, start + CHUNK))
            for i, data in enumerate(chunk, start):
                replay.apply(data, i, report)
                while next_head < len(heads) and heads[next_head].size == replay.log.size:
                    head = heads[next_head]
                    if head.root != replay.log.root():
                        first = previous.size if previous else 0
                        named = (
                            f"entry {first}" if head.size - first == 1 else f"one of entries {first}..{head.size - 1}"
                        )
                        raise Inconsistent(
                            f"{named} was altered: the log's root at size {head.size} is not the signed one"
                            + (f"; also {replay.suspect}" if replay.suspect else ""),
                            first,
                        )
                    if replay.suspect is not None:
                        raise replay.suspect
                    replay.check_signed()
                    if previous is not None:
                        proof = source.consistency_proof(previous.size, head.size)
                        try:
                            rfc6962.verify_consistency(previous.size, head.size, proof, previous.root, head.root)
                        except ZkError as err:
                            raise Inconsistent(f"heads at sizes {previous.size} and {head.size}: {err}", None) from None
                    previous = head
                    next_head += 1
            progress(min(size, start + CHUNK), size)
        if replay.suspect is not None:
            raise replay.suspect
        if next_head != len(heads):
            raise Inconsistent("signed heads are not in increasing size order", None)
    except Inconsistent as err:
        report.problem, report.first_bad_entry = str(err), err.first_entry
    for name, tree in replay.trees.items():
        pending = len(replay.pending.get(name, ()))
        report.issuers[name] = {"credentials": tree.size + pending, "revoked": len(replay.revoked[name])}
    return report


class DatabaseSource:
    """Audit straight from a ledger database."""

    def __init__(self, store):
        self.store = store

    def heads(self) -> list[str]:
        with self.store.read() as tx:
            return [text for _, text in tx.heads()]

    def size(self) -> int:
        with self.store.read() as tx:
            return tx.size()

    def entries(self, start: int, end: int) -> list[bytes]:
        with self.store.read() as tx:
            return tx.entries(start, end)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        with self.store.read() as tx:
            try:
                return StoredNodes(tx).proof(rfc6962.consistency_proof, size1, size2)
            except LookupError as err:
                raise Inconsistent(f"stored log nodes are missing: {err}", None) from None
