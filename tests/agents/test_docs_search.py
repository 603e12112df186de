"""The documentation search ranks what answers a question first: BM25 over sections, table rows and the catalog."""

from __future__ import annotations

from pathlib import Path

from vsl.agents import docs_search
from vsl.agents.docs_search import DocIndex, Passage, build_index, markdown_passages, tokens


def titles(hits: list[docs_search.Hit]) -> list[str]:
    return [h.passage.title for h in hits]


def test_rare_words_and_repeated_words_rank_higher_and_long_passages_are_damped() -> None:
    index = DocIndex(
        [
            Passage("a.md", "Rain", "rain rain rain on the hacienda windows"),
            Passage("b.md", "Sun", "the sun on the hacienda"),
            Passage("c.md", "Rain once", "rain " + "filler words about nothing in particular " * 20),
            Passage("d.md", "Other", "nothing to see here"),
        ]
    )

    hits = index.search("rain hacienda")

    assert titles(hits) == ["Rain", "Sun", "Rain once"]  # no shared word: left out
    assert index.search("") == [] and index.search("zebra") == []


def test_tokens_keep_compounds_and_their_parts() -> None:
    words = tokens("Veo-3.1 takes reference_images only with 16:9 videos")

    assert {"veo-3.1", "veo", "reference_images", "reference", "image", "16:9", "video"} <= set(words)
    assert "with" not in words


def test_markdown_is_cut_at_headings_and_tables_into_rows() -> None:
    text = "# Guide\nIntro.\n## Models\n| id | price |\n|---|---|\n| veo | $0.40 |\n| wan | $0.10 |\n## End\nBye."

    passages = markdown_passages("docs/guide.md", text)

    assert [(p.title, p.text) for p in passages] == [
        ("guide › Guide", "Intro."),
        ("guide › Guide › Models", "| id | price |\n| veo | $0.40 |"),
        ("guide › Guide › Models", "| id | price |\n| wan | $0.10 |"),
        ("guide › Guide › End", "Bye."),
    ]


def test_the_project_index_answers_from_the_contract_the_prices_and_the_catalog() -> None:
    top = titles(docs_search.search("reference images 16:9 duration 8", 1))[0]
    assert any(topic in top for topic in ("(veo-3.1)", "Video models", "Reference images"))
    assert "POST {base}/generate" in titles(docs_search.search("Idempotency-Key clientRequestId generate", 1))[0]
    assert any("GPT-5" in t for t in titles(docs_search.search("temperature rejected reasoning effort verbosity", 3)))
    wan = docs_search.search("Wan 2.5 Fast sizes", 3)
    assert any("wan-2.5-t2v-fast" in t for t in titles(wan))


def test_the_index_is_built_from_the_project_copy_not_the_shared_folder(tmp_path: Path) -> None:
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    (tmp_path / "docs" / "reference" / "notes.md").write_text("# Notes\nThe hacienda has a red door.")

    index = build_index(tmp_path)  # no README: still fine
    (hit,) = index.search("red door", 1)

    assert hit.passage.source == "docs/reference/notes.md"
    assert "red door" in hit.snippet("red door")
    assert any(p.source == "catalog" for p in index.passages)
