"""The agent pages under Streamlit's AppTest: the chat (streamed, stored, resumable, a failure attached from the
board), the agent log, and the new-novela page's "Draft with agents" path. Nothing is spent without the click."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from tests.agents.conftest import INJECTION, KEY, fail_take, gpt_client, make_novela, reserved, takes
from tests.agents.gpt_responder import AgentResponder
from tests.fakes.openai_server import FakeOpenAI
from tests.ui.conftest import open_page, texts
from vsl.agents import flows
from vsl.agents.team import build_team
from vsl.db import agent_repo, novela_repo
from vsl.runtime import Runtime


def chat(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text).run()
    assert not at.exception, at.exception
    return at


def said(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, " ".join(e.value for e in m.markdown)) for m in at.chat_message]


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(AgentResponder(), api_key=KEY) as server:
        yield server


def test_a_chat_reply_is_streamed_stored_and_still_there_after_a_rerun(app_env: Runtime) -> None:
    at = open_page("pages/chat.py")
    assert "Offline mode" in texts(at)

    chat(at, "Why was my scene flagged by the content policy?")

    assert [name for name, _ in said(at)] == ["user", "assistant"]
    assert "Blocked by the provider's content policy" in said(at)[1][1]
    at.run()
    assert [name for name, _ in said(at)] == ["user", "assistant"]  # now read back from the database
    with app_env.db.session() as session:
        (listed,) = agent_repo.chat_sessions(session)
    assert listed.messages == 2 and listed.title.startswith("Why was my scene flagged")
    assert any(b.label.startswith("Why was my scene flagged") for b in at.button)  # listed, resumable


def test_sessions_are_kept_apart_and_resumable(app_env: Runtime) -> None:
    at = chat(open_page("pages/chat.py"), "First question about rate limits")
    click(at, "New chat")
    assert said(at) == []
    chat(at, "Second question about budgets")
    old = next(b for b in at.button if "First question" in b.label)
    old.click().run()

    assert said(at)[0] == ("user", "First question about rate limits")
    assert len(said(at)) == 2


def test_a_failed_take_from_the_board_is_attached_and_the_fix_waits_for_the_click(
    app_env: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_API_URL", "http://127.0.0.1:9")  # priced as the real provider; never called here
    db = app_env.db
    novela = make_novela(db)
    first = min(takes(db, novela.id), key=lambda t: t.scene_number)
    fail_take(db, first.id, code="content_policy", message="Output flagged as sensitive: <script>alert(1)</script>")

    at = open_page("pages/chat.py", {"video": str(first.id)})

    opening = said(at)[0][1]
    assert opening.startswith("Attached E1 S1 take 1") and "content policy" in opening
    assert "\\<script\\>alert(1)\\</script\\>" in opening  # shown as text: escaped Markdown, never HTML
    click(at, "Propose a fix (new take)")
    assert "Proposal:" in texts(at) and "Cost of this take $3.20" in texts(at)
    click(at, "Review and generate…")
    assert "Total to reserve $3.20" in texts(at)
    assert reserved(db, novela.id) == 0 and len(takes(db, novela.id)) == 2

    click(at, "Confirm and generate")  # the user's click, and only it, spends
    assert reserved(db, novela.id) == Decimal("3.20") and len(takes(db, novela.id)) == 3


def test_an_injected_chat_message_cannot_submit_anything(app_env: Runtime) -> None:
    novela = make_novela(app_env.db)

    at = chat(open_page("pages/chat.py"), INJECTION)

    assert "I cannot start or pay for generations" in said(at)[1][1]
    assert {t.status for t in takes(app_env.db, novela.id)} == {"planned"}
    assert reserved(app_env.db, novela.id) == 0


def test_with_a_key_that_openai_refuses_the_chat_shows_the_error_not_an_offline_answer(
    app_env: Runtime, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-1234")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)

    at = chat(open_page("pages/chat.py"), "Why did it fail?")

    assert "Agents think with OpenAI gpt-5" in texts(at)
    assert any("OpenAI rejected the API key" in e.value for e in at.error)
    assert "Offline answer" not in texts(at) and "sk-wrong-key-1234" not in texts(at)


def test_with_a_working_key_the_chat_streams_gpt5s_answer(
    app_env: Runtime, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)

    at = chat(open_page("pages/chat.py"), "What does a content policy block mean?")

    assert said(at)[1][1].startswith("The provider's safety filter blocked the take.")


def test_the_agent_log_shows_who_said_what_with_tokens_and_cost(app_env: Runtime, fake: FakeOpenAI) -> None:
    novela = make_novela(app_env.db)
    team = build_team(app_env, gpt_client(fake, app_env.db))
    flows.next_scene(team, novela.id)
    proposal = flows.next_scene(team, novela.id)  # a second conversation about the same novela

    at = open_page("pages/agent_log.py", {"novela": str(novela.id)})

    page = texts(at)
    assert "**user → script_writer**" in page and "**integrator → script_writer**" in page
    assert "GPT-5 call by **script_writer** · write_scene · 120 in (0 cached) · 40 out (16 reasoning)" in page
    assert "Messages 8" in page
    at.multiselect[1].select("error").run()  # message types: only errors
    assert not at.exception and "No agent messages yet" in texts(at)
    at.multiselect[1].unselect("error").run()
    at.selectbox[1].select(proposal.conversation_id).run()
    assert "Messages 4" in texts(at)
    linked = open_page("pages/agent_log.py", {"conversation": proposal.conversation_id})  # the proposal's link
    assert "Messages 4" in texts(linked)


def test_draft_with_agents_goes_from_a_premise_to_a_stored_novela_in_two_clicks(app_env: Runtime) -> None:
    at = open_page("pages/new_novela.py")
    assert any(b.label == "Next →" for b in at.button)  # the step-by-step wizard is still there

    at.text_area(key="draft_premise").input("In Veracruz, Isabel learns her brother Mateo sold the hacienda.")
    click(at, "Draft with agents")  # click 1
    assert "Review the draft" in texts(at) and "Drafted offline" in texts(at)
    next(b for b in at.button if b.key == "draft_create").click().run()  # click 2

    with app_env.db.session() as session:
        (card,) = novela_repo.cards(session)
    assert "Veracruz" in card.novela.title and card.novela.story_bible["characters"]
    assert {t.created_by_agent for t in takes(app_env.db, card.novela.id)} == {"script_writer"}
    assert reserved(app_env.db, card.novela.id) == 0
