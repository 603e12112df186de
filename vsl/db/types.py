"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from vsl.money import for_storage, to_decimal

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Money(TypeDecorator[Decimal]):
    """NUMERIC(12,4), read back as an exact `Decimal` with four places.

    SQLite keeps NUMERIC values as REAL; every amount here has at most 12 significant digits, well inside a
    double's 15, so quantizing on the way out returns exactly what was written (and SQL SUM stays usable).
    """

    impl = Numeric(12, 4, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        stored = for_storage(to_decimal(value))
        return str(stored) if dialect.name == "sqlite" else stored

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else for_storage(to_decimal(value))
