"""GPT-5 family prices (OpenAI, USD per 1M tokens) and the cost of one call. Reasoning tokens bill as output."""

from __future__ import annotations

from decimal import Decimal

MILLION = Decimal(1_000_000)
SOURCE = "https://openai.com/api/pricing/ (checked 2026-11)"

# model: (input, cached input, output) per 1M tokens
GPT5_PRICES: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "gpt-5": (Decimal("1.25"), Decimal("0.125"), Decimal("10.00")),
    "gpt-5-mini": (Decimal("0.25"), Decimal("0.025"), Decimal("2.00")),
    "gpt-5-nano": (Decimal("0.05"), Decimal("0.005"), Decimal("0.40")),
}


class UnsupportedLlmModel(ValueError):
    """A model outside the GPT-5 family: the product requires GPT-5."""


def base_model(model: str) -> str:
    """Map a dated snapshot such as `gpt-5-2025-08-07` or `gpt-5-mini-2025-08-07` to its price row."""
    for name in sorted(GPT5_PRICES, key=len, reverse=True):
        if model == name or model.startswith(name + "-20"):
            return name
    raise UnsupportedLlmModel(
        f"Model {model!r} is not a GPT-5 model; VSL Studio's agents require one of: {', '.join(GPT5_PRICES)}."
    )


def gpt5_cost(model: str, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
    """Exact USD cost of one call. `input_tokens` includes `cached_tokens`, as the Responses API reports it."""
    price_in, price_cached, price_out = GPT5_PRICES[base_model(model)]
    cached = min(max(cached_tokens, 0), max(input_tokens, 0))
    fresh = max(input_tokens, 0) - cached
    return (fresh * price_in + cached * price_cached + max(output_tokens, 0) * price_out) / MILLION
