"""Money is `Decimal` everywhere; rounding happens only for display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
STORE_QUANTUM = Decimal("0.0001")  # NUMERIC(12,4)
ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Exact Decimal from an int, str, Decimal or (via its repr) a float; None is zero."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def to_cents(value: Decimal) -> Decimal:
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def for_storage(value: Decimal) -> Decimal:
    return to_decimal(value).quantize(STORE_QUANTUM, rounding=ROUND_HALF_UP)


def usd(value: object) -> str:
    """`$1,234.57`: half-up to the cent, for display only. A non-zero amount under a cent shows its stored digits
    (a spoken line costs `$0.0008`), so a real charge never reads as `$0.00`."""
    amount = to_decimal(value)
    cents, stored = to_cents(amount), for_storage(amount)
    if cents == 0 and stored != 0:
        return f"{'-' if stored < 0 else ''}${abs(stored).normalize():f}"
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"
