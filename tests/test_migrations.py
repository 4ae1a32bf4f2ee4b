"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL; every
word an enum column may store fits the column."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import bot.models  # noqa: F401  (puts every table on Base.metadata)
from bot import migrate
from bot.db import Base, EnumString, make_engine


def _diff(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


async def test_models_match_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    await engine.dispose()
    assert await migrate.current_revision(db_url) == migrate.head_revision()


def test_every_enum_word_fits_its_column() -> None:
    # SQLite ignores VARCHAR lengths, PostgreSQL refuses the row: a longer word needs a migration.
    too_long = [
        f"{column.table.name}.{column.name}: {word!r} > {column.type.length}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, EnumString)
        for word in (member.value for member in column.type.enum)
        if column.type.length is not None and len(word) > column.type.length
    ]
    assert too_long == []
