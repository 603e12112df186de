"""The one set of limits on a novela's size and budget, each problem in one plain sentence.

The agents' draft, the step-by-step wizard, the cost calculator and the stored novela all check these, so a plan
that one of them accepts is accepted by the others. The episode limit is the draft's: one season plan is one
GPT-5 answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Limit:
    """A whole number from `low` to `high`; `one` and `many` name it in a sentence ("episode", "episodes")."""

    label: str
    one: str
    many: str
    low: int
    high: int

    def problem(self, value: Any) -> str | None:
        """None when `value` fits, else one sentence saying what is allowed."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return f"{self.label}: enter a whole number from {self.low} to {self.high}."
        if value < self.low:
            return f"A novela needs at least {self.low} {self.one if self.low == 1 else self.many}."
        if value > self.high:
            return f"A novela can have at most {self.high} {self.many}; you asked for {int(value)}."
        return None


EPISODES = Limit("Episodes", "episode", "episodes", 1, 30)
SCENES = Limit("Scenes per episode", "scene per episode", "scenes per episode", 1, 30)
TAKES = Limit("Takes per scene", "take per scene", "takes per scene", 1, 10)
DEFAULT_EPISODES = 3
DEFAULT_SCENES = 4

MAX_BUDGET = Decimal("99999999.99")  # NUMERIC(12,4)
_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,4})?$")


def budget_problem(text: str) -> str | None:
    """None when `text` is empty (no budget) or an amount from $0 to MAX_BUDGET; else one sentence."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    if not cleaned:
        return None
    if not _AMOUNT.match(cleaned):
        return "Enter the budget as a number of US dollars, such as 250 or 250.00."
    return amount_problem(Decimal(cleaned))


def amount_problem(budget: Decimal) -> str | None:
    if budget < 0:
        return "A budget cannot be negative: enter 0 or more, or leave it empty for no budget."
    if budget > MAX_BUDGET:
        return f"A budget can be at most ${MAX_BUDGET:,}; leave it empty for no budget."
    return None
