"""Relational storage: engine, sessions and migrations (SQLite by default, PostgreSQL too)."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from kernel.files import create_private
from kernel.sqlite_wal import enable_wal

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        _private_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            enable_wal(conn)
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # The registry's durability-critical write is the batch record, and losing the
            # last few of those on power loss only lets a resend be stored again, which every
            # store absorbs (same series and time). The time series keep synchronous=FULL.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _private_file(url: str) -> None:
    """A SQLite database is created readable by its owner only (it holds hashed credentials
    and the site's records); a folder that does not exist is left for SQLite to report."""
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            create_private(Path(database))


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` to an Alembic revision (the newest by default)."""
    _private_file(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with _one_migration_at_a_time(url):
        command.upgrade(cfg, revision)
        if revision == "head":
            _sync_classes(url)


# Any fixed number: the PostgreSQL advisory lock every plantwatch process migrates under.
_MIGRATION_LOCK = 0x706C616E74


def _one_migration_at_a_time(url: str) -> contextlib.AbstractContextManager[None]:
    """Hold a lock across processes while migrating: the API and its workers start together
    at boot, and two upgrades of one new database fail on each other's tables and version
    row. The others wait, then find the schema current and change nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return _advisory_lock(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return contextlib.nullcontext()
    return _file_lock(Path(f"{database}-migrations.lock"))


@contextlib.contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            conn.commit()  # a session-level lock outlives the transaction that took it
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()


@contextlib.contextmanager
def _file_lock(lock: Path) -> Iterator[None]:
    # A file of its own: closing any descriptor of the database file would drop this
    # process's SQLite locks on it (POSIX locks are per process), which corrupts it.
    try:
        create_private(lock)
        held = lock.open("rb")
    except OSError:  # no folder for it: SQLite reports why when the migration opens the file
        yield
        return
    with held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


def _sync_classes(url: str) -> None:
    # The registry's class rows follow the catalogue this process runs with.
    from cloud.register.classes import sync_classes
    from kernel.catalogue import active_catalogue

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            sync_classes(session, active_catalogue())
    finally:
        engine.dispose()


class DatabaseUnavailable(RuntimeError):
    """The database URL cannot be opened; the message says which and why, in one line."""


def open_database(url: str) -> Engine:
    """Migrate the database at ``url`` and return its engine, or say in one line why not."""
    try:
        migrate(url)
        return make_engine(url)
    except Exception as exc:  # every driver and URL error ends here as one readable line
        shown = make_url_safe(url)
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise DatabaseUnavailable(
            f"cannot open the database {shown}: {type(exc).__name__}: {reason}"
        ) from exc


def make_url_safe(url: str) -> str:
    """The URL with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show it as given
        return url


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def sessions(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield one session and close it afterwards."""
    with factory() as session:
        yield session
