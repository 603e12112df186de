"""Plotly charts for costs. Amounts are converted to float only here, for drawing, after rounding to the cent."""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go

from vsl.catalog import ModelQuote
from vsl.money import ZERO, to_cents, usd

PART_LABELS = {
    "video": "Video",
    "image": "Images",
    "audio": "Audio",
    "gpt5": "GPT-5 agents",
    "portraits": "Cast portraits",
    "keyframes": "Keyframes",
    "reviews": "Continuity reviews",
}


def _cents(value: Decimal) -> float:
    return float(to_cents(value))


def model_comparison(quotes: list[ModelQuote], chosen: str, cast: Decimal = ZERO) -> go.Figure:
    """Each model's price for the novela; `cast` (the same on every model) is added to each."""
    names = [q.display_name + ("" if q.verified else " *") for q in quotes]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[_cents(q.total + cast) for q in quotes],
            text=[usd(q.total + cast) for q in quotes],
            textposition="outside",
            marker_color=["#e8a33d" if q.model_id == chosen else "#5b7083" for q in quotes],
            hovertext=["; ".join(q.changes) or "same settings" for q in quotes],
        )
    )
    fig.update_layout(
        title="The same plan on every video model (* price unverified)",
        yaxis_title="USD",
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def breakdown(parts: dict[str, Decimal]) -> go.Figure:
    """One bar per part of the price (keys of `PART_LABELS`)."""
    fig = go.Figure(
        go.Bar(
            y=[PART_LABELS.get(k, k) for k in parts],
            x=[_cents(v) for v in parts.values()],
            orientation="h",
            text=[usd(v) for v in parts.values()],
            textposition="auto",
        )
    )
    fig.update_layout(
        title="Where the money goes",
        xaxis_title="USD",
        height=max(260, 100 + 30 * len(parts)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig
