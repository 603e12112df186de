"""The calculator's cheapest-fit box compares the same plan, says what a cheaper one changes, and marks
unverified prices (issue 14.3)."""

from __future__ import annotations

from tests.ui.conftest import open_page


def _boxes(at) -> tuple[list[str], list[str]]:
    return [s.value for s in at.success], [w.value for w in at.warning]


def test_the_cheapest_box_compares_the_same_plan_and_names_what_a_cheaper_one_changes(app_env) -> None:
    at = open_page("pages/calculator.py")  # Veo 3.1 Fast, 8 s, 720p, audio on; 10 x 8 scenes, 20% regenerations
    same, cheaper = _boxes(at)
    assert same == ["Cheapest for this very plan (8 s, 720p, with audio): **Veo 3.1 Fast**, $116.70 for the novela."]
    (other,) = [w for w in cheaper if w.startswith("Cheaper if you accept")]
    assert "**Wan 2.5 Fast**, $66.78 for the novela (price unverified)" in other
    assert "It changes: 10 s clips instead of 8 s (Wan 2.5 Fast offers 5 or 10 s)." in other
    assert "generate_audio" not in other and "no audio" not in other  # Wan makes its audio natively


def test_turning_audio_off_is_part_of_the_plan_compared(app_env) -> None:
    at = open_page("pages/calculator.py")
    next(t for t in at.toggle if t.label == "Audio").set_value(False).run()  # 96 x 8 s x $0.10 + $1.50 GPT-5
    same, cheaper = _boxes(at)
    assert same == ["Cheapest for this very plan (8 s, 720p, without audio): **Veo 3.1 Fast**, $78.30 for the novela."]
    assert any("audio always on" in w for w in cheaper)


def test_an_unverified_cheapest_price_says_so(app_env) -> None:
    at = open_page("pages/calculator.py")
    at.selectbox[0].select("wan-2.5-t2v").run()
    durations = next(s for s in at.selectbox if s.label == "Duration (s)")
    durations.select(10).run()
    same, _ = _boxes(at)
    assert same and same[0].endswith("(price unverified).")
    assert "Wan 2.5 Fast" in same[0]  # same 10 s at 720p with native audio, cheaper than Wan 2.5
