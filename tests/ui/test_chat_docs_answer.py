"""The offline chat answers from the best documentation passage in plain sentences, with a link to the page it
came from, and that page opens in the studio (issue 14.7)."""

from __future__ import annotations

import re

from tests.ui.conftest import open_page, texts
from tests.ui.test_chat_pages import chat, said

QUESTION = "How do I keep Isabel's face consistent?"


def test_a_how_to_question_gets_plain_sentences_and_a_link(app_env) -> None:
    at = chat(open_page("pages/chat.py"), QUESTION)
    answer = said(at)[1][1]
    body = answer.split("From the docs: ", 1)[1]
    sentences, link = body.split("Read more: ", 1)
    assert "master seed" in sentences and "description" in sentences
    assert 2 <= len(re.findall(r"[.!?](\s|$)", sentences.strip())) <= 3  # a few sentences
    for raw in ("|", "{", "}", '":', "```", "**"):
        assert raw not in sentences, raw  # no table pipes, no JSON, no markup
    assert link.startswith("[user-guide › User guide: from a premise to a finished episode › 8. Keep a character")
    assert "](docs?page=user-guide)" in link


def test_a_price_question_reads_a_table_row_as_a_sentence(app_env) -> None:
    at = chat(open_page("pages/chat.py"), "What does Wan 2.5 Fast cost per second at 720p?")
    body = said(at)[1][1].split("From the docs: ", 1)[1].split("Read more: ", 1)[0]
    assert "|" not in body and "{" not in body


def test_the_linked_doc_page_opens_in_the_studio(app_env) -> None:
    at = open_page("pages/docs.py", {"page": "user-guide"})
    page = texts(at)
    assert "8. Keep a character's face consistent" in page
    assert "](docs?page=troubleshooting)" in page  # links between docs stay inside the studio
    assert len(at.get("image")) >= 5  # the guide's screenshots come from the repository
