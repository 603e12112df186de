"""The calculator's "Cast and continuity" inputs: portraits, keyframes and reviews are in the whole novela exactly,
as whole counts the page says (issue 9)."""

from __future__ import annotations

import json
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from vsl.catalog import PlanInput, estimate_plan, params_for
from vsl.money import usd
from vsl.ui import calculator

# The page's default plan: Veo 3.1 Fast, 8 s, 720p with audio; 10 episodes x 8 scenes, 1 take, 20% regenerations.
DEFAULT_PLAN = PlanInput(
    "veo-3.1-fast",
    params_for("veo-3.1-fast", 8, "720p", "16:9", generate_audio=True),
    episodes=10,
    scenes_per_episode=8,
    regeneration_rate=Decimal("0.2"),
)
CAST = calculator.CastInputs(members=3, candidates=2, start_share=15, end_share=5, review_share=30)
# portraits: 3 members x 2 candidates x $0.003 (FLUX.1 [schnell])                 = $0.018
# keyframes: 15% of 80 scenes = 12 start frames, 5% = 4 end frames; 16 x $0.04     = $0.64
# reviews:   30% of 96 takes = 28.8 -> 29; one gpt-5 review with 2 references is
#            (1200 + 85 x 5) input tokens x $1.25/M + 900 output x $10/M = $0.01103125; x 29 = $0.31990625
# whole:     $116.70 (video $115.20 + GPT-5 agents $1.50) + the three             = $117.67790625
EXPECTED = Decimal("116.70") + Decimal("0.018") + Decimal("0.64") + Decimal("0.01103125") * 29


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _set_cast(at: AppTest, cast: calculator.CastInputs) -> None:
    numbers = {"Cast members (characters, places, props)": cast.members, "Candidates per member": cast.candidates}
    shares = {
        "Scenes with a generated start frame (%)": cast.start_share,
        "Scenes with an end frame too (%)": cast.end_share,
        "Takes reviewed by GPT-5 (%)": cast.review_share,
    }
    for box in at.number_input:
        if box.label in numbers:
            box.set_value(numbers[box.label])
    for slider in at.slider:
        if slider.label in shares:
            slider.set_value(shares[slider.label])
    at.run()
    assert not at.exception, at.exception


def _breakdown_bars(at: AppTest) -> dict[str, str]:
    (bars,) = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    return dict(zip(bars["y"], bars["text"], strict=True))


def test_the_whole_novela_includes_portraits_keyframes_and_reviews_exactly(app_env) -> None:
    at = open_page("pages/calculator.py")
    _set_cast(at, CAST)
    assert Decimal("117.67790625") == EXPECTED
    assert _metric(at, "Whole novela") == usd(EXPECTED) == "$117.68"
    page = texts(at)
    assert "Cast and continuity: 6 portraits, 12 start frames, 4 end frames, 29 reviews; $0.98 of the whole" in page
    assert _breakdown_bars(at) == {
        "Video": "$115.20",
        "Images": "$0.00",
        "Audio": "$0.00",
        "GPT-5 agents": "$1.50",
        "Cast portraits": "$0.02",
        "Keyframes": "$0.64",
        "Continuity reviews": "$0.32",
    }
    assert "**Veo 3.1 Fast**, $117.68 for the novela." in page  # the cheapest box prices the same whole novela


def test_the_page_prices_the_cast_with_the_decimals_of_the_hand_sum() -> None:
    whole, cast = calculator.price(DEFAULT_PLAN, CAST)
    assert (cast.keyframed_scenes, cast.end_frames, cast.reviewed_takes) == (12, 4, 29)
    assert whole.cast == {
        "portraits": Decimal("0.018"),
        "keyframes": Decimal("0.64"),
        "reviews": Decimal("0.31990625"),
    }
    assert whole.total == EXPECTED == sum(whole.breakdown.values())
    assert all(isinstance(v, Decimal) for v in whole.breakdown.values())


def test_zero_cast_inputs_match_the_plan_estimate_alone(app_env) -> None:
    at = open_page("pages/calculator.py")
    alone = estimate_plan(DEFAULT_PLAN)
    assert _metric(at, "Whole novela") == usd(alone.total) == "$116.70"
    assert "Cast and continuity: no portraits, keyframes or reviews planned." in texts(at)
    whole, _ = calculator.price(DEFAULT_PLAN, calculator.CastInputs())
    assert whole.total == alone.total and whole.cast_total == 0


def test_an_end_frame_needs_a_start_frame(app_env) -> None:
    at = open_page("pages/calculator.py")
    _set_cast(at, calculator.CastInputs(start_share=5, end_share=50))  # 4 start frames; 40 end frames asked
    assert "4 start frames, 4 end frames, 0 reviews" in texts(at)
