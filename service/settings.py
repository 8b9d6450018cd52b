"""Service configuration: every setting has a safe default and a ZKELIG_* environment override.

This module is the service's only reader of the environment: `Settings` for the server, and the
documented functions below for the keys root and the shared fixtures. It is also the only writer:
`pass_to_workers` hands `zkelig serve`'s options to uvicorn's worker processes, which build their
own `Settings`. (The client commands' options, such as ZKELIG_URL and ZKELIG_API_KEY, are command
line options of those commands and are documented in their --help.)

The table of settings in README.md ("## Settings") is `settings_table()`; a test keeps them equal."""

from __future__ import annotations

import math
import os
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from circuits.defaults import DEFAULT_DEPTH, DEFAULT_M, DEFAULT_Q

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "ZKELIG_"


class SettingsRefused(ValueError):
    """A setting the service will not start with; the message says what to do."""


def _flag(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes")


DEFAULT_KEYS_DIR = ROOT / ".zkelig" / "keys"  # ignored by git


def _keys_root(raw: str) -> Path:
    return Path(raw) if raw else DEFAULT_KEYS_DIR


_KINDS = {int: "a whole number", float: "a number"}


def _from_env(name: str, default: object, parse: Callable[[str], object] = str) -> object:
    """ZKELIG_{name} parsed, or `default` when it is not set."""
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise SettingsRefused(f"{PREFIX}{name}={raw!r} is not {_KINDS.get(parse, 'valid')}") from None


def _setting(name: str, default: object, meaning: str, parse: Callable[[str], object] = str,
             shown: str | None = None):
    """A field read from ZKELIG_{name} when it is set, else `default`. `shown` is how the README and
    `zkelig serve --help` write the default when its value depends on the machine."""
    return field(default_factory=lambda: _from_env(name, default, parse),
                 metadata={"env": PREFIX + name, "meaning": meaning,
                           "default": str(default) if shown is None else shown})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting("DATA_DIR", ROOT / ".zkelig" / "data", "data directory: ledger key, SQLite file",
                              Path, shown=".zkelig/data")
    database_url: str = _setting("DATABASE_URL", "", "ledger database URL (sqlite:///… or postgresql://…)",
                                 shown="SQLite in the data directory")
    keys_dir: Path = _setting("KEYS", DEFAULT_KEYS_DIR, "root of the circuit keys (`zkelig setup` writes there)",
                              _keys_root, shown=".zkelig/keys")
    ledger_origin: str = _setting("LEDGER_ORIGIN", "zkelig/ledger", "the ledger's name in its signed checkpoints")
    tree_depth: int = _setting("TREE_DEPTH", DEFAULT_DEPTH, "depth of each issuer's credential tree", int)
    queries: int = _setting("QUERIES", DEFAULT_Q, "queries per proof (Q) of the served circuit", int)
    values: int = _setting("VALUES", DEFAULT_M, "values per query (M) of the served circuit", int)
    root_window_s: float = _setting("ROOT_WINDOW_S", 3600.0,
                                    "seconds an issuer root stays acceptable after a newer one", float)
    request_ttl_s: float = _setting("REQUEST_TTL_S", 600.0, "seconds a proof request lives", float)
    admin_key: str = _setting("ADMIN_KEY", "", "the admin API key, at least 128 bits (empty: no admin API)",
                              shown="empty")
    max_body_bytes: int = _setting("MAX_BODY_BYTES", 256 * 1024, "largest request body accepted, in bytes", int)
    holder_rate_per_minute: int = _setting("HOLDER_RATE_PER_MINUTE", 120,
                                           "holder requests per minute per client", int)
    holder_burst: int = _setting("HOLDER_BURST", 30, "holder requests a client may make at once", int)
    verify_batch_max: int = _setting("VERIFY_BATCH_MAX", 64, "proofs checked together in one batch", int)
    # Requests' `today` is the date in this IANA zone, whatever the server's own zone.
    timezone: str = _setting("TIMEZONE", "UTC", "IANA time zone whose date is requests' `today`")
    # Wallet opens a wallet may fail before each further failure doubles its wait (1, 2, 4 … s).
    wallet_free_failures: int = _setting("WALLET_FREE_FAILURES", 5,
                                         "failed wallet opens before each further one doubles the wait", int)
    wallet_max_backoff_s: int = _setting("WALLET_MAX_BACKOFF_S", 3600, "longest wait after failed wallet opens, s",
                                         int)
    # Server-side proofs a worker admits at once (running or waiting); beyond it: 503 with Retry-After.
    prove_queue: int = _setting("PROVE_QUEUE", 2, "server-side proofs a worker admits at once (then 503)", int)
    prove_timeout_s: float = _setting("PROVE_TIMEOUT_S", 120.0, "how long a server-side proof may take (then 503), s",
                                      float)
    prove_nice: int = _setting("PROVE_NICE", 19, "the prover child's nice value (19: proofs take only idle CPU)",
                               int)
    public_url: str = _setting("PUBLIC_URL", "", "base URL in request links and QR codes",
                               shown="from the Host header")
    webhook_backoff_s: float = _setting("WEBHOOK_BACKOFF_S", 1.0, "first wait before retrying a failed webhook, s",
                                        float)
    # Serve keys from a single-party `zkelig setup` (tests, demo); production keys come from a ceremony.
    dev_setup: bool = _setting("DEV_SETUP", False,
                               "serve single-party keys from `zkelig setup` (development only)", _flag,
                               shown="off")
    forwarded_allow_ips: str = _setting("FORWARDED_ALLOW_IPS", "",
                                        "comma-separated proxies whose X-Forwarded-For is trusted", shown="none")
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)  # injected by tests; no setting

    @property
    def ledger_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ledger.db'}"

    @property
    def ledger_key_file(self) -> Path:
        return self.data_dir / "ledger.key"


ADMIN_KEY_MIN_BITS = 128
MAKE_ADMIN_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_CHARACTER_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation)


def admin_key_bits(key: str) -> float:
    """An upper estimate of the bits an admin key carries: its length times log2 of the alphabet its
    character classes span; a key of fewer than 8 distinct characters (`aaaa…`, `abab…`) counts as none."""
    if len(set(key)) < 8:
        return 0.0
    alphabet = sum(len(c) for c in _CHARACTER_CLASSES if any(ch in c for ch in key))
    alphabet += len({ch for ch in key if not any(ch in c for c in _CHARACTER_CLASSES)})
    return len(key) * math.log2(alphabet)


def weak_admin_key(key: str) -> str | None:
    """Why this admin key is refused, or None; an empty key means no admin API and is allowed."""
    if key and admin_key_bits(key) < ADMIN_KEY_MIN_BITS:
        return (f"ZKELIG_ADMIN_KEY is too weak (under {ADMIN_KEY_MIN_BITS} bits); make one with: {MAKE_ADMIN_KEY}")
    return None


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsRefused(f"ZKELIG_TIMEZONE={name!r} is not an IANA time zone (e.g. UTC, Europe/Amsterdam)"
                              ) from None


def check_settings(settings: Settings) -> ZoneInfo:
    """Refuse settings that would make an unsafe or wrong service, before anything is created;
    returns the deployment's time zone."""
    weak = weak_admin_key(settings.admin_key)
    if weak:
        raise SettingsRefused(weak)
    return time_zone(settings.timezone)


def documented() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, in the order of the fields."""
    return [(f.metadata["env"], f.metadata["default"], f.metadata["meaning"]) for f in fields(Settings)
            if "env" in f.metadata]


def settings_table() -> str:
    """The settings as a Markdown table: what README.md's "## Settings" holds."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{env}` | {default} | {meaning} |" for env, default, meaning in documented()]
    return "\n".join(rows) + "\n"


def settings_help() -> str:
    """The settings as lines for `zkelig serve --help` (one a line: help output wraps them to the terminal)."""
    lines = [f"{env}: {meaning} (default: {default})" for env, default, meaning in documented()]
    # "\b" keeps click from folding the list into one paragraph (typer's plain help formats with click)
    return "\n".join(["Settings, from the environment (the options above override theirs):", "", "\b", *lines])


def pass_to_workers(**overrides: object) -> None:
    """Hand `zkelig serve`'s options to uvicorn's worker processes, which build their own Settings
    from the environment: each override that is given (not None, not empty) becomes its ZKELIG_*
    variable. Booleans pass as 1 (False leaves the variable as it is)."""
    names = {f.name: f.metadata["env"] for f in fields(Settings) if "env" in f.metadata}
    for name, value in overrides.items():
        if value is None or value is False or value == "":
            continue
        os.environ[names[name]] = "1" if value is True else str(value)
    # OpenMP threads of the parallel kernels sleep when idle rather than spin, leaving the cores to requests.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def default_keys_dir() -> Path:
    """$ZKELIG_KEYS, else .zkelig/keys in the repository: for commands that build no Settings."""
    return _from_env("KEYS", DEFAULT_KEYS_DIR, _keys_root)


def shared_dir() -> Path:
    """The shared fixtures folder (test vectors, benchmark workload; tests and benchmarks only):
    $ZKELIG_SHARED, else ../shared beside the repository."""
    env = os.environ.get(PREFIX + "SHARED")
    return Path(env) if env else ROOT.parent / "shared"

