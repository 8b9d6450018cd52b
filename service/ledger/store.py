"""Ledger storage behind one interface: SQLite (the embedded default) and PostgreSQL (psycopg 3).

Tables:
    entries(idx, data)                  the log, one canonical entry per index
    nodes(id, hash)                     RFC 6962 perfect-subtree roots of height ≥ STORED_HEIGHT,
                                        id = height << 48 | index (lower ones are recomputed
                                        from at most 2^STORED_HEIGHT − 1 entries: O(1) extra reads)
    nullifiers(scope, nullifier, idx)   unique per (scope, nullifier)
    heads(size, checkpoint)             every signed tree head
    issuers(name, frontier)             each issuer tree's resumable Frontier
    roots(issuer, root, idx, ts_ms)     issuer root snapshots with the time they were published

SQLite runs in WAL mode with synchronous=FULL: a transaction that returned from COMMIT is on disk.
PostgreSQL writers from several service replicas serialise on an advisory lock held for the
transaction; the nullifiers' primary key is the last line of defence against double use.

A database that cannot be reached or written (disk full, read-only file, server down) raises
StoreUnavailable. The connection that saw it is dropped, and every other thread's connection is
reopened before its next use, so the store recovers by itself once the database is back.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

STORED_HEIGHT = 4
CHECKPOINT_EVERY_S = 0.5
_LOCK_KEY = 0x7A6B656C6967  # "zkelig"

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS entries (idx {int} PRIMARY KEY, data {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nodes (id {int} PRIMARY KEY, hash {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nullifiers (scope {blob} NOT NULL, nullifier {blob} NOT NULL, idx {int} NOT NULL,"
    " PRIMARY KEY (scope, nullifier)){without_rowid}",
    "CREATE TABLE IF NOT EXISTS heads (size {int} PRIMARY KEY, checkpoint TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS issuers (name TEXT PRIMARY KEY, frontier {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS roots (issuer TEXT NOT NULL, root {blob} NOT NULL, idx {int} NOT NULL,"
    " ts_ms {int} NOT NULL, PRIMARY KEY (issuer, idx)){without_rowid}",
]


class StoreUnavailable(Exception):
    """The database cannot be reached or written now; retrying later may succeed."""


class NoLedger(Exception):
    """The database exists but holds no ledger (or does not exist at all)."""


_SQLITE_UNAVAILABLE = (
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_PERM",
)


def _transient(err: BaseException) -> bool:
    """Errors of the database's availability (disk, permissions, connection), not of the statement."""
    if isinstance(err, sqlite3.Error):
        return getattr(err, "sqlite_errorname", "").startswith(_SQLITE_UNAVAILABLE)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(err, (psycopg.OperationalError, psycopg.InterfaceError))


def node_id(height: int, index: int) -> int:
    return height << 48 | index


class Tx:
    """One transaction's operations; SQL is written with '?' placeholders."""

    def __init__(self, store: Store, conn):
        self.store, self.conn = store, conn

    def _sql(self, sql: str) -> str:
        return sql if self.store.dialect == "sqlite" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence = ()):
        return self.conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        if rows:
            cur = self.conn.cursor()
            cur.executemany(self._sql(sql), rows)

    def one(self, sql: str, params: Sequence = ()):
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence = ()) -> list:
        return self.execute(sql, params).fetchall()

    # --- the log ---

    def size(self) -> int:
        return self.one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries")[0]

    def entries(self, start: int, end: int) -> list[bytes]:
        return [
            bytes(r[0])
            for r in self.all("SELECT data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (start, end))
        ]

    def insert_entries(self, first: int, data: Sequence[bytes]) -> None:
        self.executemany("INSERT INTO entries (idx, data) VALUES (?, ?)", [(first + i, d) for i, d in enumerate(data)])

    def nodes(self, ids: Sequence[int]) -> dict[int, bytes]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r[0]: bytes(r[1]) for r in self.all(f"SELECT id, hash FROM nodes WHERE id IN ({marks})", list(ids))}

    def insert_nodes(self, rows: Sequence[tuple[int, bytes]]) -> None:
        self.executemany("INSERT INTO nodes (id, hash) VALUES (?, ?)", rows)

    # --- nullifiers ---

    def nullifier_index(self, scope: bytes, nullifier: bytes) -> int | None:
        row = self.one("SELECT idx FROM nullifiers WHERE scope = ? AND nullifier = ?", (scope, nullifier))
        return None if row is None else row[0]

    def insert_nullifiers(self, rows: Sequence[tuple[bytes, bytes, int]]) -> None:
        self.executemany("INSERT INTO nullifiers (scope, nullifier, idx) VALUES (?, ?, ?)", rows)

    # --- heads, issuers, roots ---

    def insert_head(self, size: int, checkpoint: str) -> None:
        self.execute("INSERT INTO heads (size, checkpoint) VALUES (?, ?)", (size, checkpoint))

    def heads(self, after: int = -1) -> list[tuple[int, str]]:
        return [
            (r[0], r[1]) for r in self.all("SELECT size, checkpoint FROM heads WHERE size > ? ORDER BY size", (after,))
        ]

    def latest_head(self) -> str | None:
        row = self.one("SELECT checkpoint FROM heads ORDER BY size DESC LIMIT 1")
        return None if row is None else row[0]

    def save_frontiers(self, rows: Sequence[tuple[str, bytes]]) -> None:
        for name, frontier in rows:
            if self.execute("UPDATE issuers SET frontier = ? WHERE name = ?", (frontier, name)).rowcount == 0:
                self.execute("INSERT INTO issuers (name, frontier) VALUES (?, ?)", (name, frontier))

    def frontiers(self) -> dict[str, bytes]:
        return {r[0]: bytes(r[1]) for r in self.all("SELECT name, frontier FROM issuers")}

    def insert_roots(self, rows: Sequence[tuple[str, bytes, int, int]]) -> None:
        self.executemany("INSERT INTO roots (issuer, root, idx, ts_ms) VALUES (?, ?, ?, ?)", rows)

    def roots(self, after_idx: int = -1) -> list[tuple[str, bytes, int, int]]:
        return [
            (r[0], bytes(r[1]), r[2], r[3])
            for r in self.all("SELECT issuer, root, idx, ts_ms FROM roots WHERE idx > ? ORDER BY idx", (after_idx,))
        ]


class Store:
    """A database holding one ledger. Connections are per thread; `write()` is one transaction."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()
        # Bumped whenever a connection fails: every thread then reopens its own before its next use
        # (after a PostgreSQL restart all of them are dead, not only the one that noticed).
        self._generation = 0

    def _connect(self):
        raise NotImplementedError

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.generation != self._generation:
            self._drop()
            conn = None
        if conn is None:
            try:
                conn = self._connect()
            except Exception as err:
                if _transient(err):
                    raise StoreUnavailable(f"the database cannot be opened ({_reason(err)})") from err
                raise
            self._local.conn, self._local.generation = conn, self._generation
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        """Close and forget this thread's connection (it failed, or another thread's did)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
            pass

    def _failed(self, err: BaseException) -> BaseException:
        """What to raise for `err` met in a transaction: StoreUnavailable for availability errors,
        after dropping every connection of this store; `err` itself otherwise."""
        if not _transient(err):
            return err
        with self._lock:
            self._generation += 1
        self._drop()
        return StoreUnavailable(f"the database cannot be used now ({_reason(err)})")

    def _reraise(self, err: BaseException):
        failure = self._failed(err)
        if failure is err:
            raise err
        raise failure from err

    def create_schema(self, statements: Sequence[str] = _SCHEMA) -> None:
        """Run CREATE statements written with {int}, {blob} and {without_rowid} for this dialect."""
        words = (
            {"int": "INTEGER", "blob": "BLOB", "without_rowid": " WITHOUT ROWID"}
            if self.dialect == "sqlite"
            else {"int": "BIGINT", "blob": "BYTEA", "without_rowid": ""}
        )
        with self.write() as tx:
            for statement in statements:
                tx.execute(statement.format(**words))

    @contextmanager
    def write(self, durable: bool = True, ledger_lock: bool = True) -> Iterator[Tx]:
        """One write transaction. `durable=False` skips the flush at commit, for records whose loss
        in a crash is harmless (a proof request's single-use mark: the nullifier is the real guard);
        `ledger_lock=False` for writes that need not serialise with the ledger's writers."""
        raise NotImplementedError

    @contextmanager
    def read(self) -> Iterator[Tx]:
        raise NotImplementedError

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing a connection from another thread may fail; it is going anyway
                    pass
            self._all.clear()
        self._local = threading.local()


def _reason(err: BaseException) -> str:
    """A short, value-free description of a driver error (PostgreSQL messages may span lines)."""
    text = str(err).strip().splitlines()
    return text[0][:160] if text else type(err).__name__


def _has_ledger(store: Store) -> bool:
    with store.read() as tx:
        try:
            tx.one("SELECT 1 FROM entries LIMIT 1")
            return True
        except Exception as err:  # noqa: BLE001 - "no such table" is a different class per driver
            if _transient(err):
                raise
            return False


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, path: Path | str, create: bool = True):
        super().__init__()
        self._lock_fds: list[int] = []
        self._checkpointer: threading.Thread | None = None
        self._closed = threading.Event()
        self.path = Path(path)
        if not create:
            if not self.path.is_file():
                raise NoLedger(f"{self.path} does not exist")
            if not _has_ledger(self):
                self.close()
                raise NoLedger(f"{self.path} holds no ledger")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # SQLite creates the -wal and -shm files with the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self.create_schema()

    def _connect(self):
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        # No checkpoint inside a commit (it would stall that writer for tens of milliseconds):
        # a background thread checkpoints passively instead.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._start_checkpointer()
        return conn

    def _start_checkpointer(self) -> None:
        with self._lock:
            if self._checkpointer is not None:
                return
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="zkelig-wal-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        conn = None
        try:
            while not self._closed.wait(CHECKPOINT_EVERY_S):
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=False)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for readers or writers
                except sqlite3.Error:  # busy (another process checkpoints), or the disk is full: next time
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()

    def _writer_lock(self) -> int:
        fd = getattr(self._local, "lock_fd", None)
        if fd is None:
            fd = self._local.lock_fd = os.open(f"{self.path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
            with self._lock:
                self._lock_fds.append(fd)
        return fd

    @contextmanager
    def write(self, durable: bool = True, ledger_lock: bool = True) -> Iterator[Tx]:
        # Writers (threads or worker processes) queue on a file lock, which wakes the next one the
        # moment it is released; SQLite's own busy handler would sleep in steps of up to 100 ms.
        lock = self._writer_lock()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with self._transaction(durable) as tx:
                yield tx
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self, durable: bool) -> Iterator[Tx]:
        conn = self._conn()
        try:
            if not durable:
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL: the next durable commit flushes this one too
            try:
                conn.execute("BEGIN IMMEDIATE")  # the write lock up front: one writer, no upgrade deadlocks
                try:
                    yield Tx(self, conn)
                except BaseException:
                    self._rollback(conn)
                    raise
                if conn.in_transaction:
                    conn.execute("COMMIT")
            finally:
                if not durable:  # this connection's next writer expects a durable commit
                    conn.execute("PRAGMA synchronous=FULL")
        except BaseException as err:
            self._rollback(conn)
            self._reraise(err)

    @staticmethod
    def _rollback(conn) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:  # the connection is failing anyway; it will be dropped
            pass

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._conn()
        try:
            conn.execute("BEGIN")
            try:
                yield Tx(self, conn)
            finally:
                self._rollback(conn)  # a read changes nothing: ending it either way is the same
        except BaseException as err:
            self._reraise(err)

    def close(self) -> None:
        self._closed.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=5)
        super().close()
        with self._lock:
            for fd in self._lock_fds:
                os.close(fd)
            self._lock_fds.clear()

    def disk_bytes(self) -> int:
        self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # outside a transaction, or SQLite refuses
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


class PostgresStore(Store):
    dialect = "postgres"

    def __init__(self, dsn: str, create: bool = True):
        super().__init__()
        self.dsn = dsn
        if create:
            self.create_schema()
        elif not _has_ledger(self):
            self.close()
            raise NoLedger("the database holds no ledger")

    def _connect(self):
        import psycopg

        # A bounded wait: a server that is down must turn into a 503 quickly, not hang a request.
        return psycopg.connect(self.dsn, autocommit=False, connect_timeout=5)

    @staticmethod
    def _rollback(conn) -> None:
        try:
            conn.rollback()
        except Exception:  # noqa: BLE001 - the connection is failing anyway; it will be dropped
            pass

    @contextmanager
    def write(self, durable: bool = True, ledger_lock: bool = True) -> Iterator[Tx]:
        conn = self._conn()
        try:
            tx = Tx(self, conn)
            try:
                if ledger_lock:
                    tx.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK_KEY,))
                if not durable:
                    tx.execute("SET LOCAL synchronous_commit = off")
                yield tx
            except BaseException:
                self._rollback(conn)
                raise
            conn.commit()
        except BaseException as err:
            self._reraise(err)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._conn()
        try:
            try:
                tx = Tx(self, conn)
                tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot, as in SQLite's WAL
                yield tx
            finally:
                self._rollback(conn)
        except BaseException as err:
            self._reraise(err)

    def disk_bytes(self) -> int:
        with self.read() as tx:
            return sum(
                tx.one("SELECT pg_total_relation_size(?)", (t,))[0]
                for t in ("entries", "nodes", "nullifiers", "heads", "issuers", "roots")
            )


def private_dir(path: Path) -> None:
    """Create `path` (and parents) for this user only; tighten a group- or world-open one that this
    user owns (never a shared directory such as /tmp, which has the sticky bit)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.geteuid() and not st.st_mode & 0o1000:
        path.chmod(0o700)


def open_store(url: str, create: bool = True) -> Store:
    """sqlite:///path/to/ledger.db or postgresql://user@host:port/db. With create=False, a database
    that does not exist or holds no ledger raises NoLedger (nothing is created)."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SqliteStore(url[len("sqlite:///") :], create)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, create)
    raise ValueError("unsupported ledger database URL (sqlite:///path/to/ledger.db or postgresql://user@host/db)")


def redacted(url: str) -> str:
    """The URL without its password, fit to print."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=netloc[0].split(":", 1)[0] + ":***@" + netloc[1]))
