"""One set of limits on the draft, the wizard and the calculator, each problem in one plain sentence (issue 14.6)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import open_page, texts
from vsl.db import novela_repo
from vsl.novelas import limits


def _number(at: AppTest, label: str):
    return next(n for n in at.number_input if n.label == label)


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _wizard_step(at: AppTest, step: int) -> None:
    next(t for t in at.text_input if t.label == "Title").input("Limits").run()
    for _ in range(step):
        next(b for b in at.button if b.label == "Next →").click().run()


@pytest.mark.parametrize(
    ("where", "value", "sentence"),
    [
        ("calculator", 0, "A novela needs at least 1 episode."),
        ("calculator", 999, "A novela can have at most 30 episodes; you asked for 999."),
        ("draft", 0, "A novela needs at least 1 episode."),
        ("draft", 999, "A novela can have at most 30 episodes; you asked for 999."),
        ("wizard", 0, "A novela needs at least 1 episode."),
        ("wizard", 31, "A novela can have at most 30 episodes; you asked for 31."),
    ],
)
def test_episodes_out_of_range_say_so_in_words_everywhere(app_env, where: str, value: int, sentence: str) -> None:
    at = open_page("pages/calculator.py" if where == "calculator" else "pages/new_novela.py")
    if where == "wizard":
        _wizard_step(at, 3)
    boxes = [n for n in at.number_input if n.label == "Episodes"]
    box = boxes[-1] if where == "wizard" else boxes[0]
    box.set_value(value)
    if where == "draft":  # a form: the value is sent with the click
        next(t for t in at.text_area if t.label == "Premise").input("A maid finds a letter.")
        next(b for b in at.button if b.label == "Draft with agents").click()
    at.run()
    if where == "draft":
        assert "Review the draft" not in texts(at)  # nothing drafted from a wrong number
    assert not at.exception
    assert sentence in _errors(at)
    if where == "calculator":
        assert not at.metric  # no price for a plan that cannot exist
    if where == "wizard":
        next(b for b in at.button if b.label == "Next →").click().run()
        assert any(n.label == "Episodes" for n in at.number_input)  # still on this step


def test_the_three_places_share_one_limit(app_env) -> None:
    at = open_page("pages/calculator.py")
    _number(at, "Episodes").set_value(limits.EPISODES.high).run()
    assert not _errors(at) and "Whole novela" in texts(at)
    _number(at, "Scenes per episode").set_value(limits.SCENES.high + 1).run()
    assert (
        f"A novela can have at most {limits.SCENES.high} scenes per episode; you asked for {limits.SCENES.high + 1}."
        in _errors(at)
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("-5", "A budget cannot be negative: enter 0 or more, or leave it empty for no budget."),
        ("lots", "Enter the budget as a number of US dollars, such as 250 or 250.00."),
    ],
)
def test_a_wrong_budget_gets_one_plain_sentence(app_env, text: str, sentence: str) -> None:
    at = open_page("pages/new_novela.py")
    _wizard_step(at, 3)
    next(t for t in at.text_input if t.label == "Budget in USD (empty = no budget)").input(text).run()
    next(b for b in at.button if b.label == "Next →").click().run()
    assert _errors(at) == [sentence]
    with app_env.db.session() as session:
        assert novela_repo.count(session) == 0


def test_a_fake_png_is_refused_in_plain_words(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _wizard_step(at, 4)
    next(t for t in at.text_input if t.label == "Name").input("Isabel")
    at.get("file_uploader")[0].set_value(("isabel.png", b"\x89PNG\r\n\x1a\n not really a picture", "image/png"))
    next(b for b in at.button if b.label == "Add character").click().run()
    assert not at.exception
    assert _errors(at) == ["isabel.png is not a picture the studio can read; choose a PNG, JPEG or WebP image."]
    assert "Error" not in " ".join(_errors(at))  # no exception class names


def test_a_real_png_is_added(app_env) -> None:
    at = open_page("pages/new_novela.py")
    _wizard_step(at, 4)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, "PNG")
    next(t for t in at.text_input if t.label == "Name").input("Isabel")
    at.get("file_uploader")[0].set_value(("isabel.png", picture.getvalue(), "image/png"))
    next(b for b in at.button if b.label == "Add character").click().run()
    assert not at.exception and not _errors(at)
    assert "Isabel" in texts(at)
