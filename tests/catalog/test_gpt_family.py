"""The GPT-5 family data (gpt_models.json): every member and snapshot accepted, others refused with the list,
exact prices (cached input, the long-context tier, and a refusal where no long-context rate is known), and the
reasoning efforts each model takes."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import pytest

from vsl.catalog.gpt5 import (
    FAMILY_PATH,
    LlmPricingError,
    UnsupportedLlmModel,
    base_model,
    check_effort,
    family,
    gpt5_cost,
    gpt_model,
)

MEMBERS = ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1", "gpt-5.2", "gpt-5.2-pro", "gpt-5.4", "gpt-5.4-mini",
           "gpt-5.4-nano", "gpt-5.4-pro", "gpt-5.5", "gpt-5.5-pro"]  # fmt: skip
# issue 11's list, per 1M tokens (input, cached input, output)
ISSUE_PRICES = {
    "gpt-5.1": ("1.25", "0.125", "10.00"),
    "gpt-5.2": ("1.75", "0.175", "14.00"),
    "gpt-5.4": ("2.50", "0.25", "15.00"),
    "gpt-5.4-mini": ("0.75", "0.075", "4.50"),
    "gpt-5.4-nano": ("0.20", "0.02", "1.25"),
    "gpt-5.5": ("5.00", "0.50", "30.00"),
    "gpt-5.4-pro": ("30.00", None, "180.00"),
    "gpt-5.5-pro": ("30.00", None, "180.00"),
}


def test_every_row_names_its_source_and_the_day_it_was_checked() -> None:
    rows = json.loads(FAMILY_PATH.read_text())["models"]
    assert [row["id"] for row in rows] == MEMBERS
    for row in rows:
        assert row["source"].strip() and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row["checked"]), row["id"]
        if "issue 11" in row["source"]:
            assert row["checked"] == "2026-12-02", row["id"]
        long = row["long_context"]
        assert long is None or long["source"].strip(), row["id"]


@pytest.mark.parametrize("member", MEMBERS)
def test_every_member_and_its_dated_snapshots_are_accepted(member: str) -> None:
    assert base_model(member) == member
    assert base_model(f"{member}-2026-11-30") == member
    for snapshot in gpt_model(member).snapshots:
        assert base_model(snapshot) == member


@pytest.mark.parametrize("snapshot", ["gpt-5-2025-08-07", "gpt-5.4-mini-2026-03-17", "gpt-5.5-2026-04-23"])
def test_the_named_snapshots_map_to_their_member(snapshot: str) -> None:
    assert base_model(snapshot) == snapshot.rsplit("-", 3)[0]


@pytest.mark.parametrize(
    "model", ["gpt-4o", "gpt-5.6-sol", "gpt-5.1-mini", "gpt-5.4-mini-2026", "gpt-5-chat-latest", "o3", "", "GPT-5"]
)
def test_anything_else_is_refused_with_the_list(model: str) -> None:
    with pytest.raises(UnsupportedLlmModel) as refused:
        base_model(model)
    assert all(member in str(refused.value) for member in MEMBERS)


@pytest.mark.parametrize(("model", "prices"), ISSUE_PRICES.items())
def test_the_rates_are_issue_11s(model: str, prices: tuple[str, str | None, str]) -> None:
    rates = gpt_model(model).rates
    assert (str(rates.input), rates.cached_input and str(rates.cached_input), str(rates.output)) == prices


@pytest.mark.parametrize(
    ("name", "cost", "expected"),
    [
        # 10,000 in (4,000 cached) + 2,000 out on gpt-5.4-mini: 6000 x 0.75 + 4000 x 0.075 + 2000 x 4.50 per 1M
        ("5.4-mini cached", lambda: gpt5_cost("gpt-5.4-mini", 10_000, 4000, 2000), "0.0138"),
        # a snapshot prices as its member
        ("snapshot", lambda: gpt5_cost("gpt-5.4-mini-2026-03-17", 10_000, 4000, 2000), "0.0138"),
        # no cached rate on pro: 1,000 cached tokens bill at $30: (1000 x 30 + 100 x 180) / 1M
        ("pro cached = input", lambda: gpt5_cost("gpt-5.4-pro", 1000, 1000, 100), "0.048"),
        # exactly 272,000 input is still standard: 272000 x 2.50 / 1M
        ("5.4 at threshold", lambda: gpt5_cost("gpt-5.4", 272_000, 0, 0), "0.68"),
        # one token more: the whole request at the long rates: 272001 x 5.00 / 1M + 1000 x 22.50 / 1M
        ("5.4 long", lambda: gpt5_cost("gpt-5.4", 272_001, 0, 1000), "1.382505"),
        # 5.5 long with cache: 200000 x 10 + 100000 x 1.00 + 1000 x 45 per 1M
        ("5.5 long cached", lambda: gpt5_cost("gpt-5.5", 300_000, 100_000, 1000), "2.145"),
        # 5.4-pro long: 300000 x 60 / 1M + 1000 x 270 / 1M
        ("5.4-pro long", lambda: gpt5_cost("gpt-5.4-pro", 300_000, 0, 1000), "18.27"),
    ],
)
def test_hand_derived_gpt_prices(name: str, cost: object, expected: str) -> None:
    assert cost() == D(expected), name  # type: ignore[operator]


@pytest.mark.parametrize(("model", "why"), [("gpt-5.5-pro", "not published"), ("gpt-5.4-mini", "smaller")])
def test_a_long_context_call_without_a_known_rate_is_refused_not_guessed(model: str, why: str) -> None:
    with pytest.raises(LlmPricingError, match=why):
        gpt5_cost(model, family().threshold + 1, 0, 10)
    assert gpt5_cost(model, family().threshold, 0, 10) > 0


@pytest.mark.parametrize(
    ("model", "ok", "refused"),
    [
        ("gpt-5", "minimal", "none"),
        ("gpt-5-mini-2025-08-07", "minimal", "xhigh"),
        ("gpt-5.1", "none", "xhigh"),
        ("gpt-5.1", "none", "minimal"),
        ("gpt-5.2", "xhigh", "minimal"),
        ("gpt-5.4-mini", "xhigh", "minimal"),
        ("gpt-5.4-pro", "medium", "low"),
    ],
)
def test_reasoning_efforts_differ_by_model(model: str, ok: str, refused: str) -> None:
    assert check_effort(model, ok, "AGENT_EFFORT_X") == ok
    with pytest.raises(UnsupportedLlmModel, match=rf"{re.escape(model)} does not take .*'{refused}'.*AGENT_EFFORT_X"):
        check_effort(model, refused, "AGENT_EFFORT_X")


def test_the_price_line_names_all_three_rates_and_the_long_tier() -> None:
    assert gpt_model("gpt-5.4").price_line() == (
        "$2.50 / $0.25 / $15.00 per 1M tokens (input / cached input / output); "
        "above 272K input tokens $5.00 / $0.50 / $22.50"
    )
    assert gpt_model("gpt-5.5-pro").price_line().endswith("above 272K input tokens: rate not published")
    assert (
        gpt_model("gpt-5-mini").price_line() == "$0.25 / $0.025 / $2.00 per 1M tokens (input / cached input / output)"
    )
