"""The board's opt-in to automatic continuity review, and how a take's review reads on its card."""

from __future__ import annotations

import streamlit as st

from vsl.agents import auto_review
from vsl.catalog.gpt5 import LlmPricingError, UnsupportedLlmModel
from vsl.db.models import Novela, Review
from vsl.money import usd
from vsl.ui.runtime import changed, get_runtime


def control(novela: Novela) -> None:
    """A toggle that says what each review costs and what the automatic ones have cost so far."""
    runtime = get_runtime()
    opinion = runtime.reviewer.opinion
    on = novela.auto_review_since is not None
    try:
        price = _price(novela, opinion)
    except (UnsupportedLlmModel, LlmPricingError) as exc:
        st.warning(f"Automatic review cannot be priced, so it reviews nothing: {exc}")
        if on and st.button("Turn automatic review off", key=f"auto_review_off_{novela.id}"):
            _set(novela, False)
        return
    wanted = st.toggle(f"Review each new take automatically ({price})", value=on, key=f"auto_review_{novela.id}")
    if wanted != on:
        _set(novela, wanted)
    if on:
        count, cost = auto_review.spent(runtime.db, novela.id)
        st.caption(
            f"Takes completed since {novela.auto_review_since:%Y-%m-%d %H:%M} UTC are reviewed once each: "
            f"{count} so far, {usd(cost)}. A review is skipped when the budget left cannot pay for it."
        )


def _set(novela: Novela, on: bool) -> None:
    try:
        auto_review.set_auto_review(get_runtime().db, novela.id, on)
    except ValueError as exc:  # the novela was deleted meanwhile
        st.error(str(exc))
        return
    changed()
    st.rerun()


def _price(novela: Novela, opinion: auto_review.Opinion) -> str:
    if not opinion.llm:
        return "offline colour measure, $0: set OPENAI_API_KEY for GPT-5's review"
    return f"GPT-5, at most {usd(auto_review.most_per_take(get_runtime().db, novela.id, opinion))} a take"


def note(result: Review | None) -> str | None:
    """A few words for the scene card: the verdict, or that it is under way, skipped or failed."""
    if result is None:
        return None
    who = "GPT-5" if result.method == "gpt-5" else "colour measure"
    if result.status == "reviewing":
        return f"reviewing ({who})…"
    if result.status == "skipped":
        return f"review skipped: {result.error}"
    if result.status == "failed":
        return "review failed (the Cast page says why)"
    return f"continuity {result.status} {result.score}/100 ({who})"
