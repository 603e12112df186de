"""Budget reservation and settlement. Callers hold the novela row locked (`Database.write()` + `lock=True`)."""

from __future__ import annotations

from decimal import Decimal

from vsl.db.models import Novela, NovelaVideo
from vsl.money import ZERO, usd


class BudgetExceeded(ValueError):
    """Reserving would take spent + reserved past the novela's budget; nothing was reserved."""

    def __init__(self, novela: Novela, amount: Decimal) -> None:
        committed = novela.total_cost + novela.reserved_cost
        left = (novela.budget or ZERO) - committed
        super().__init__(
            f"This needs {usd(amount)} but only {usd(max(left, ZERO))} of the {usd(novela.budget)} budget is left "
            f"({usd(novela.total_cost)} spent, {usd(novela.reserved_cost)} reserved). Raise the budget or "
            "choose fewer scenes."
        )
        self.amount = amount
        self.available = left


def available(novela: Novela) -> Decimal | None:
    """Money still free under the budget, or None when the novela has no budget."""
    if novela.budget is None:
        return None
    return novela.budget - novela.total_cost - novela.reserved_cost


def check(novela: Novela, amount: Decimal) -> None:
    free = available(novela)
    if free is not None and amount > free:
        raise BudgetExceeded(novela, amount)


def reserve(novela: Novela, video: NovelaVideo, amount: Decimal) -> None:
    video.estimated_cost = amount
    video.reserved_cost = amount
    novela.reserved_cost = novela.reserved_cost + amount


def release(novela: Novela, video: NovelaVideo) -> None:
    """Return a take's reservation to the budget (failure or cancel before anything was charged)."""
    novela.reserved_cost = max(ZERO, novela.reserved_cost - video.reserved_cost)
    video.reserved_cost = ZERO


def settle(novela: Novela, video: NovelaVideo, actual: Decimal) -> None:
    """Turn the reservation into the actual charge."""
    release(novela, video)
    video.actual_cost = actual
    novela.total_cost = novela.total_cost + actual
