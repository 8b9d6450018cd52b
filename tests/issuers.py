"""Issuers for ledger-level tests: a signing key per issuer name, and issuance/revocation signed with it
(the way the client SDK signs against a running service)."""

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.ledger import BadRevocation, IssuerKey, Ledger, StaleStatement
from service.ledger import statements as st

KEYS: dict[str, IssuerKey] = {}


def key_for(name: str) -> IssuerKey:
    """The same key for a name in every process (killed and restarted writers sign for the same issuer)."""
    if name not in KEYS:
        seed = hashlib.sha256(f"zkelig test issuer {name}".encode()).digest()
        KEYS[name] = IssuerKey(Ed25519PrivateKey.from_private_bytes(seed))
    return KEYS[name]


def register(ledger: Ledger, name: str) -> int:
    return ledger.register_issuer(name, key_for(name).public_key)


def signed(ledger: Ledger, name: str, leaves, after=()) -> st.SignedIssuance:
    """The issuer's signature for `leaves`, appended after the current tree and `after` (leaves still queued)."""
    frontier = ledger.frontier(name)
    for leaf in after:
        frontier = frontier.append(leaf)
    return key_for(name).sign_issuance(ledger.origin, name, frontier, leaves)


def issue(ledger: Ledger, name: str, leaves) -> list[tuple[int, int]]:
    return ledger.issue(name, signed(ledger, name, leaves))


def revoke(ledger: Ledger, name: str, leaf_index: int) -> int:
    try:
        root, signature = key_for(name).sign_revocation(ledger.origin, name, ledger.path(name, leaf_index))
    except (IndexError, BadRevocation):  # no such live leaf: sign something, the ledger must still refuse it
        root = 0
        signature = key_for(name)._private.sign(st.revocation_statement(ledger.origin, name, leaf_index, root))
    return ledger.revoke(name, leaf_index, root, signature)


def issue_retrying(ledger: Ledger, name: str, leaves) -> list[tuple[int, int]]:
    """Issue from one of several concurrent callers: sign again when another issuance landed first."""
    while True:
        try:
            return issue(ledger, name, leaves)
        except StaleStatement:
            continue
