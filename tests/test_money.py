"""How money reads on screen: to the cent, but a real charge under a cent never reads as $0.00."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vsl.money import usd


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0.00"),
        ("1234.567", "$1,234.57"),  # half-up to the cent
        ("0.005", "$0.01"),
        ("-5", "-$5.00"),
        ("0.0008", "$0.0008"),  # one spoken line of 8 characters at $0.10 per 1,000
        ("0.004", "$0.004"),  # between a tenth of a cent and a cent
        ("-0.0032", "-$0.0032"),
        ("0.00004", "$0.00"),  # below what is stored (NUMERIC(12,4)): nothing is charged
    ],
)
def test_usd(amount: str, shown: str) -> None:
    assert usd(Decimal(amount)) == shown
