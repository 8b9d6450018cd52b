"""uvicorn's access log without wallet ids: a line pairs a client address with a path, and a wallet's
id in that path would tie the wallet (and so its holder) to where they connect from."""

from __future__ import annotations

import logging
import re

_WALLET = re.compile(r"(/v1/holders/wallets/)[^/?#\s]+")
REDACTED = "{wallet_id}"


def redact(path: str) -> str:
    return _WALLET.sub(lambda m: m.group(1) + REDACTED, path)


class RedactWalletIds(logging.Filter):
    """Rewrites the path argument of uvicorn.access records: (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactWalletIds) for f in logger.filters):
        logger.addFilter(RedactWalletIds())
