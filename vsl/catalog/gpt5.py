"""The GPT-5 family as data (`gpt_models.json`): which models the agents accept, their reasoning efforts, and the
exact cost of one call, the long-context tier included. Reasoning tokens bill as output.

Why the family is data and not code: docs/adr/0002-gpt-model-family.md. Every row carries its source and the day
it was checked; a rate that was not found is marked unknown in the data and never guessed here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

MILLION = Decimal(1_000_000)
FAMILY_PATH = Path(__file__).with_name("gpt_models.json")
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


class UnsupportedLlmModel(ValueError):
    """A model outside the GPT-5 family (or an effort the model does not take): the message lists what works."""


class LlmPricingError(ValueError):
    """A call that cannot be priced exactly from the data (a long-context rate nobody published)."""


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens; `cached_input` None: no cached rate, cached tokens bill as input."""

    input: Decimal
    cached_input: Decimal | None
    output: Decimal


@dataclass(frozen=True)
class GptModel:
    id: str
    rates: Rates
    long_context: Rates | None  # None: no long-context tier (or, with `long_context_unknown`, none was found)
    long_context_unknown: bool
    efforts: tuple[str, ...]
    context_window: int
    snapshots: tuple[str, ...]
    source: str
    checked: str

    def price_line(self) -> str:
        """'$2.50 / $0.25 / $15.00 per 1M tokens (input / cached input / output)' and the long-context tier."""
        line = f"{_rates_text(self.rates)} per 1M tokens (input / cached input / output)"
        if self.long_context is not None:
            line += f"; above {family().threshold // 1000}K input tokens {_rates_text(self.long_context)}"
        elif self.long_context_unknown:
            line += f"; above {family().threshold // 1000}K input tokens: rate not published"
        return line


@dataclass(frozen=True)
class Family:
    models: dict[str, GptModel]
    threshold: int  # input tokens above which the long-context rates apply to the whole request
    threshold_source: str

    def names(self) -> str:
        return ", ".join(self.models)


def _rates(row: dict[str, Any]) -> Rates:
    cached = row.get("cached_input")
    return Rates(Decimal(row["input"]), None if cached is None else Decimal(cached), Decimal(row["output"]))


def _rates_text(rates: Rates) -> str:
    cached = "—" if rates.cached_input is None else f"${rates.cached_input}"
    return f"${rates.input} / {cached} / ${rates.output}"


def _model(row: dict[str, Any]) -> GptModel:
    long = row.get("long_context")
    unknown = bool(long and long.get("unknown"))
    return GptModel(
        id=row["id"],
        rates=_rates(row),
        long_context=_rates(long) if long and not unknown else None,
        long_context_unknown=unknown,
        efforts=tuple(row["efforts"]),
        context_window=int(row["context_window"]),
        snapshots=tuple(row.get("snapshots", ())),
        source=row["source"],
        checked=row["checked"],
    )


@cache
def family(path: Path = FAMILY_PATH) -> Family:
    """The family file, loaded once."""
    data = json.loads(path.read_text(encoding="utf-8"))
    models = {row["id"]: _model(row) for row in data["models"]}
    return Family(models, int(data["long_context_threshold"]), data["long_context_source"])


def gpt_model(model: str) -> GptModel:
    """The row of `model`: a member (`gpt-5.4-mini`) or its dated snapshot (`gpt-5.4-mini-2026-03-17`)."""
    models = family().models
    name = _SNAPSHOT.sub("", model) if model not in models else model
    if name in models:
        return models[name]
    raise UnsupportedLlmModel(
        f"Model {model!r} is not a GPT-5 model VSL Studio can price; the agents accept {family().names()} "
        "(or a dated snapshot of one, such as gpt-5-2025-08-07)."
    )


def base_model(model: str) -> str:
    """The family member that `model` is, or is a snapshot of."""
    return gpt_model(model).id


def check_effort(model: str, effort: str, where: str) -> str:
    """`effort` if `model` takes it, else UnsupportedLlmModel naming where it was set and the model's values."""
    row = gpt_model(model)
    if effort not in row.efforts:
        raise UnsupportedLlmModel(
            f"{model} does not take the reasoning effort {effort[:20]!r} ({where}); it takes {', '.join(row.efforts)}. "
            "Fix it in .env."
        )
    return effort


def gpt5_cost(model: str, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
    """Exact USD cost of one call. `input_tokens` includes `cached_tokens`, as the Responses API reports it.

    Above the long-context threshold the whole request bills at the long-context rates; a model whose
    long-context rate is unknown (or that has none) raises LlmPricingError instead of guessing.
    """
    row = gpt_model(model)
    rates = row.rates
    if input_tokens > family().threshold:
        if row.long_context is None:
            why = "it is not published" if row.long_context_unknown else "its input window is smaller"
            raise LlmPricingError(
                f"{input_tokens:,} input tokens is above {family().threshold:,} and {row.id} has no known "
                f"long-context rate ({why})."
            )
        rates = row.long_context
    return _cost(rates, input_tokens, cached_tokens, output_tokens)


def standard_cost(model: str, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
    """The cost at the standard rates: a lower bound for a call `gpt5_cost` refuses to price."""
    return _cost(gpt_model(model).rates, input_tokens, cached_tokens, output_tokens)


def _cost(rates: Rates, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
    total_in = max(input_tokens, 0)
    cached = min(max(cached_tokens, 0), total_in)
    cached_rate = rates.input if rates.cached_input is None else rates.cached_input
    fresh = total_in - cached
    return (fresh * rates.input + cached * cached_rate + max(output_tokens, 0) * rates.output) / MILLION
