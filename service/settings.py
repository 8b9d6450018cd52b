"""Service configuration: every setting has a safe default and a ZKELIG_* environment override."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from circuits.credential_query import DEFAULT_DEPTH, DEFAULT_M, DEFAULT_Q

ROOT = Path(__file__).resolve().parents[1]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"ZKELIG_{name}", default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", str(ROOT / ".zkelig" / "data"))))
    database_url: str = ""  # default: SQLite in data_dir
    keys_dir: Path | None = None  # default: service.keys.default_keys_dir()
    ledger_origin: str = field(default_factory=lambda: _env("LEDGER_ORIGIN", "zkelig/ledger"))
    tree_depth: int = DEFAULT_DEPTH
    queries: int = DEFAULT_Q
    values: int = DEFAULT_M
    root_window_s: float = field(default_factory=lambda: float(_env("ROOT_WINDOW_S", "3600")))
    request_ttl_s: float = field(default_factory=lambda: float(_env("REQUEST_TTL_S", "600")))  # a request's lifetime
    admin_key: str = field(default_factory=lambda: _env("ADMIN_KEY", ""))  # empty: no admin API
    max_body_bytes: int = 256 * 1024
    holder_rate_per_minute: int = field(default_factory=lambda: int(_env("HOLDER_RATE_PER_MINUTE", "120")))
    holder_burst: int = 30
    verify_batch_max: int = 64
    # Requests' `today` is the date in this IANA zone, whatever the server's own zone.
    timezone: str = field(default_factory=lambda: _env("TIMEZONE", "UTC"))
    # Wallet opens a wallet may fail before each further failure doubles its wait (1, 2, 4 … s).
    wallet_free_failures: int = field(default_factory=lambda: int(_env("WALLET_FREE_FAILURES", "5")))
    wallet_max_backoff_s: int = 3600
    # Server-side proofs a worker admits at once (running or waiting); beyond it: 503 with Retry-After.
    prove_queue: int = field(default_factory=lambda: int(_env("PROVE_QUEUE", "2")))
    # How long a server-side proof may take (it runs at the lowest CPU priority) before 503.
    prove_timeout_s: float = field(default_factory=lambda: float(_env("PROVE_TIMEOUT_S", "120")))
    # The prover child's nice value (19: the lowest priority, proofs take only idle CPU; 0: as the worker).
    prove_nice: int = field(default_factory=lambda: int(_env("PROVE_NICE", "19")))
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)  # injected by tests
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", ""))  # for request links; default: Host header
    webhook_backoff_s: float = field(default_factory=lambda: float(_env("WEBHOOK_BACKOFF_S", "1.0")))
    # Serve keys from a single-party `zkelig setup` (tests, demo); production keys come from a ceremony.
    dev_setup: bool = field(default_factory=lambda: _env("DEV_SETUP", "").lower() in ("1", "true", "yes"))

    @property
    def ledger_url(self) -> str:
        return self.database_url or _env("DATABASE_URL", f"sqlite:///{self.data_dir / 'ledger.db'}")

    @property
    def ledger_key_file(self) -> Path:
        return self.data_dir / "ledger.key"
