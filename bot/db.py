"""Engine, sessions and the column types every table shares."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    TextualSelect,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; all times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)
B = TypeVar("B", bound="Base")


class EnumString(TypeDecorator[E]):
    """A vocabulary enum kept as its plain string value in a VARCHAR column (no database enum)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int, unknown: E | None = None) -> None:
        super().__init__(length)
        self.enum = enum
        self.unknown = unknown  # shown for a value a newer release wrote; None: refuse it

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        """Store the member's value; a plain string (e.g. a query parameter) passes unchanged."""
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        """Return the enum member."""
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            if self.unknown is None:
                raise
            return self.unknown


class Base(DeclarativeBase):
    """Declarative base for all tables; constraint names are stable so migrations can alter them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def utcnow() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return url.startswith("sqlite")


POOL_TIMEOUT_S = 1.0  # no free connection this soon: answer "busy" (503), never hang


def make_engine(url: str, *, pool_size: int = 20, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and write-ahead locking.

    PostgreSQL gets at most `pool_size` connections; waiting longer than POOL_TIMEOUT_S for one
    raises sqlalchemy.exc.TimeoutError, which the web app answers 503 with Retry-After.
    """
    if not is_sqlite(url):
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_use_lifo", True)
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_S)
        kwargs.setdefault("pool_recycle", 1800)  # no pre-ping: it costs a round trip per request
        return create_async_engine(url, **kwargs)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
    _serialize_sqlite_writes(engine)
    return engine


async def warm_pool(engine: AsyncEngine, size: int) -> None:
    """Open `size` pooled connections at start-up, so the first burst of requests (everyone
    typing at once in a new incident) does not wait on PostgreSQL connecting. SQLite: nothing."""
    if engine.dialect.name == "sqlite":
        return
    async with AsyncExitStack() as held:  # held together, so each one is a new connection
        for _ in range(size):
            await held.enter_async_context(engine.connect())


def _serialize_sqlite_writes(engine: AsyncEngine) -> None:
    # SQLite cannot upgrade a read transaction to a write one while another writer is active
    # without failing at once, so every transaction takes the write lock up front (BEGIN
    # IMMEDIATE) and waits for it; WAL lets readers outside transactions go on meanwhile.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def core_table(model: type[Base]) -> Table:
    """The Core table of a mapped class, for statements that skip the ORM's overhead."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_ignoring_conflicts(session: AsyncSession, table: type[Base]) -> Any:
    """A Core INSERT for this session's dialect that can add ON CONFLICT and RETURNING.

    Core, not ORM-enabled: hot paths (alert intake) skip the ORM's bulk-insert machinery.
    """
    target = core_table(table)
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(target)
    return sqlite_insert(target)


@functools.cache
def _insert_or_skip_sql(table: Table, *, whole_row: bool = False) -> TextualSelect:
    # SQLAlchemy does not cache compiled dialect ON CONFLICT inserts, and this one runs for
    # every alert; the same SQL text works on PostgreSQL and SQLite (3.35+) and is cached.
    columns = [c for c in table.columns if c is not table.autoincrement_column]
    names = ", ".join(f'"{c.name}"' for c in columns)  # quoted: "values" is a keyword
    params = ", ".join(f":{c.name}" for c in columns)
    returned = list(table.columns) if whole_row else list(table.primary_key.columns)
    returning = ", ".join(f'"{c.name}"' for c in returned)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) VALUES ({params}) '
        f"ON CONFLICT DO NOTHING RETURNING {returning}"
    )
    binds = [bindparam(c.name, type_=c.type) for c in columns]
    return text(sql).bindparams(*binds).columns(*returned)


def _insert_params(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    return {c.name: _value(c, values) for c in table.columns if c is not table.autoincrement_column}


async def insert_or_skip(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> Any:
    """INSERT a row unless it breaks a unique constraint; returns its primary key, or None."""
    table = core_table(model)
    result = await session.execute(_insert_or_skip_sql(table), _insert_params(table, values))
    return result.scalar_one_or_none()


async def insert_or_skip_row(
    session: AsyncSession, model: type[B], values: dict[str, Any]
) -> B | None:
    """`insert_or_skip` that returns the stored row as a loaded object (one round trip)."""
    table = core_table(model)
    stmt = select(model).from_statement(_insert_or_skip_sql(table, whole_row=True))
    result = await session.scalars(stmt, _insert_params(table, values))
    return result.one_or_none()


def _value(column: Column[Any], values: dict[str, Any]) -> Any:
    if column.name in values:
        return values[column.name]
    default = column.default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    return arg(None) if callable(arg) else arg


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Open a session that commits on success and rolls back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
