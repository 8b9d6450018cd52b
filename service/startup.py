"""What `zkelig serve` checks before any worker starts: circuit keys, a ledger (its key and its
database) that belong together, and the same verification key registered on the ledger. Nothing is
created unless asked (`--init`); what is found is reported, so no state appears silently."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from circuits.credential_query import credential_query_circuit
from zkcore.errors import InvalidEncoding, ZkError

from .cli_errors import Refused
from .keys import (
    KeySet,
    KeysForAnotherCircuit,
    KeysRefused,
    check_servable,
    circuit_name,
    ensure_keys,
    load_keys,
    r1cs_digest,
)
from .ledger import DuplicateRegistration, Ledger, LedgerKey, NoLedger, StoreUnavailable, open_store, redacted
from .ledger.store import private_dir
from .settings import Settings


@dataclass(frozen=True)
class Found:
    data_dir: str
    database: str  # without its password
    ledger_public_key: str  # base64
    circuit: str
    vk_digest: str
    created: bool

    def lines(self) -> list[str]:
        return [f"data directory   {self.data_dir}",
                f"database         {self.database}",
                f"ledger key       {self.ledger_public_key} (Ed25519, base64)",
                f"verifying key    {self.circuit} sha256 {self.vk_digest}"]


def check(settings: Settings, init: bool) -> Found:
    """Refused (with what to do) unless keys and ledger exist and match; with `init`, create what is missing."""
    keys = _keys(settings, init)
    url = settings.ledger_url
    shown = _shown(url)
    key_file = settings.ledger_key_file
    try:
        store = open_store(url, create=init)
    except ValueError as err:
        raise Refused(f"{err}; fix --database or ZKELIG_DATABASE_URL") from None
    except NoLedger as err:
        raise Refused(f"{err} ({shown}): to create a ledger there, run `zkelig serve --init`") from None
    except StoreUnavailable as err:
        raise Refused(f"cannot use the database {shown}: {err}; check that it is running and the URL is right") \
            from None
    if not init and not key_file.is_file():
        store.close()
        raise Refused(f"no ledger key at {key_file}: restore it, or point --data-dir at the ledger's data directory")
    created = False
    try:
        with store.read() as tx:
            latest, size = tx.latest_head(), tx.size()
        if init and not key_file.is_file() and size > 0:
            raise Refused(f"the database {shown} holds a ledger but {key_file} is missing: restore that key file")
        private_dir(settings.data_dir)
        created = not key_file.is_file()
        key = LedgerKey.load_or_create(key_file)
        if latest is not None:
            _key_signed(latest, key, key_file, shown)
        _circuit_registered(store, key, settings, keys, shown)
    except StoreUnavailable as err:
        raise Refused(f"cannot use the database {shown}: {err}; check that it is running and the URL is right") \
            from None
    except InvalidEncoding as err:
        raise Refused(f"{key_file} is not a ledger key ({err}): restore the right file") from None
    finally:
        store.close()
    return Found(str(settings.data_dir), shown, base64.b64encode(key.public_key).decode(), keys.metadata["circuit"],
                 keys.vk_digest, created)


def _shown(url: str) -> str:
    try:
        return redacted(url)
    except ValueError:
        return "(an unreadable URL)"


def _keys(settings: Settings, init: bool) -> KeySet:
    """The circuit's keys, if they are this circuit's and may be served (a ceremony's, or any in dev mode)."""
    root = settings.keys_dir
    directory = root / circuit_name(settings.tree_depth, settings.queries, settings.values)
    expected = r1cs_digest(credential_query_circuit(settings.tree_depth, settings.queries, settings.values).cs)
    try:
        try:
            keys = load_keys(directory, expected)
        except InvalidEncoding:
            if not init:
                raise Refused(f"no circuit keys in {directory}: run `zkelig setup` first (or `zkelig serve --init`)") \
                    from None
            keys = ensure_keys(settings.keys_dir, settings.tree_depth, settings.queries, settings.values)
        check_servable(keys, settings.dev_setup)
    except (KeysForAnotherCircuit, KeysRefused) as err:
        raise Refused(str(err)) from None
    return keys


def _key_signed(latest: str, key: LedgerKey, key_file, shown: str) -> None:
    from .ledger import SignedHead

    try:
        SignedHead.from_text(latest).verify(key.public_key)
    except ZkError:
        raise Refused(f"the ledger key {key_file} did not sign the ledger in {shown}: use the key file that belongs "
                      "to this database (--data-dir) or the database that belongs to this key (--database)") from None


def _circuit_registered(store, key: LedgerKey, settings: Settings, keys: KeySet, shown: str) -> None:
    """The ledger registers one verification key per circuit; the service's must be that one."""
    try:
        ledger = Ledger(store, key, settings.ledger_origin, settings.tree_depth, settings.root_window_s)
    except RuntimeError as err:  # entries and signed head disagree
        raise Refused(f"the ledger in {shown} is damaged ({err})") from None
    try:
        name = circuit_name(settings.tree_depth, settings.queries, settings.values)
        registered = ledger.circuit_digest(name)
        if registered is None:
            try:
                ledger.register_circuit(name, bytes.fromhex(keys.vk_digest))
            except DuplicateRegistration:  # another service registered it meanwhile
                registered = ledger.circuit_digest(name)
        if registered is not None and registered.hex() != keys.vk_digest:
            raise Refused(f"the ledger in {shown} registered another verification key for {name} "
                          f"(sha256 {registered.hex()}): use the keys directory it was set up with (ZKELIG_KEYS)")
    finally:
        ledger.close()
