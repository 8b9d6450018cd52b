"""Errors raised by zkcore. Malformed input raises; a false statement returns False."""


class ZkError(Exception):
    """Base of every zkcore error."""


class InvalidEncoding(ZkError):
    """Bytes, strings or integers that are not a canonical field element, scalar or point."""


class NotOnCurve(InvalidEncoding):
    """Coordinates that are canonical but do not satisfy the curve equation."""


class NotInSubgroup(InvalidEncoding):
    """A point on the curve but outside the prime-order subgroup (only possible in G2)."""


class InvalidProof(ZkError):
    """A log or Merkle proof that does not verify (RFC 6962 verifiers raise rather than return)."""


class Unsatisfied(ZkError):
    """A witness that does not satisfy a constraint; the message names the constraint."""
