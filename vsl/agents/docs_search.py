"""Ranked keyword search (Okapi BM25) over the project's own documentation and model catalog.

The corpus is what ships with the app: README.md, docs/**/*.md (including the provider contract and the model
and price facts under docs/reference/) and one passage per catalog model. Markdown is cut at headings; a
table becomes one passage per row (with its header), so a question about one model finds that model's row.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vsl.catalog import ModelSpec, get_catalog
from vsl.config import PROJECT_ROOT

K1 = 1.5
B = 0.75
PASSAGE_CHARS = 900  # paragraphs are merged up to about this length
SNIPPET_CHARS = 320
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "its", "my", "of", "on", "or", "so", "the", "this", "to", "was",
    "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
))  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+(?:[._*:/-][a-z0-9]+)*")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass(frozen=True)
class Passage:
    source: str  # path relative to the project, or "catalog"
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float

    def answer(self, query: str, count: int = 3) -> str:
        """The passage's `count` sentences sharing most words with `query`, in their order ("" if none reads)."""
        sentences = plain_sentences(self.passage.text)
        wanted = set(tokens(query))
        overlap = [len(wanted & set(tokens(s))) for s in sentences]
        best = sorted(range(len(sentences)), key=lambda i: -overlap[i])[:count]
        return " ".join(sentences[i] for i in sorted(best))

    @property
    def page(self) -> str:
        """The app page where the passage can be read: the docs page of its file, or the model catalog."""
        if self.passage.source == "catalog":
            return "settings"
        return f"docs?page={Path(self.passage.source).stem}"

    def snippet(self, query: str, length: int = SNIPPET_CHARS) -> str:
        """The part of the passage around the first query word found, at most `length` characters."""
        text = " ".join(self.passage.text.split())
        lowered = text.lower()
        positions = [lowered.find(word) for word in set(tokens(query)) if word in lowered]
        start = max(0, min(positions, default=0) - length // 4)
        piece = text[start : start + length]
        return ("…" if start else "") + piece + ("…" if start + length < len(text) else "")


_CODE_BLOCK = re.compile(r"```.*?(```|$)", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"\*\*|`|^#+\s*|^>\s*", re.MULTILINE)
MAX_SENTENCE = 300  # longer "sentences" are lists of parameters, not something to read out
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_MACHINE = re.compile(r"[{}\[\]]|\":|=>|\$\{")  # JSON bodies, code: nothing a person reads as a sentence


def _table_sentence(header: str, row: str) -> str:
    names = [c.strip() for c in header.strip().strip("|").split("|")]
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    pairs = [f"{n}: {c}" for n, c in zip(names, cells, strict=False) if c and c not in {"—", "-"}]
    return "; ".join(pairs) + "."


def plain_sentences(text: str) -> list[str]:
    """A passage as plain sentences: no code blocks or JSON, no table pipes, no Markdown markup."""
    text = _CODE_BLOCK.sub(" ", text)
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 2 and all(line.lstrip().startswith("|") for line in lines):  # one table row behind its header
        text = _table_sentence(*lines)
    else:
        text = " ".join(line.strip().lstrip("-*0123456789. ") if line.lstrip()[:2] in {"- ", "* "} else line
                        for line in lines if not line.lstrip().startswith("|"))  # fmt: skip
    text = _MARKUP.sub("", _LINK.sub(r"\1", text))
    sentences = (" ".join(s.split()) for s in _SENTENCE_END.split(text))
    return [s for s in sentences if 12 < len(s) <= MAX_SENTENCE and not _MACHINE.search(s)]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case words; compounds such as `veo-3.1`, `16:9` or `reference_images` also count by their parts."""
    found: list[str] = []
    for word in _TOKEN.findall(text.lower()):
        parts = re.split(r"[._*:/-]", word)
        if len(parts) > 1:
            found.append(word)
        found.extend(_stem(p) for p in parts if p and p not in STOP_WORDS)
    return found


class DocIndex:
    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self._counts = [Counter(tokens(f"{p.title} {p.text}")) for p in passages]
        self._lengths = [sum(c.values()) for c in self._counts]
        self._average = sum(self._lengths) / len(passages) if passages else 0.0
        frequency = Counter(word for counts in self._counts for word in counts)
        total = len(passages)
        self._idf = {w: math.log(1 + (total - df + 0.5) / (df + 0.5)) for w, df in frequency.items()}

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The best `limit` passages for `query`, best first; passages sharing no word are left out."""
        words = set(tokens(query))
        hits = [Hit(p, self._score(i, words)) for i, p in enumerate(self.passages)]
        ranked = sorted((h for h in hits if h.score > 0), key=lambda h: -h.score)
        return ranked[:limit]

    def _score(self, index: int, words: Iterable[str]) -> float:
        counts, length = self._counts[index], self._lengths[index]
        score = 0.0
        for word in words:
            tf = counts.get(word, 0)
            if tf:
                norm = tf + K1 * (1 - B + B * length / (self._average or 1))
                score += self._idf[word] * tf * (K1 + 1) / norm
        return score


# -- building the corpus ------------------------------------------------------------------------------------


def markdown_passages(source: str, text: str) -> list[Passage]:
    """Passages of one Markdown file: one section per heading, tables cut into rows."""
    passages: list[Passage] = []
    trail: list[str] = []
    block: list[str] = []

    def flush() -> None:
        title = " › ".join([Path(source).stem, *trail])
        passages.extend(Passage(source, title, piece) for piece in _pieces("\n".join(block)))
        block.clear()

    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            trail[:] = [*trail[: level - 1], heading.group(2).strip()]
        else:
            block.append(line)
    flush()
    return passages


def _pieces(section: str) -> list[str]:
    """A section's paragraphs merged up to PASSAGE_CHARS; each table row alone, behind its header row."""
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", section):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if len(lines) > 2 and all(line.lstrip().startswith("|") for line in lines):
            pieces.extend(f"{lines[0]}\n{row}" for row in lines[2:])
            continue
        text = paragraph.strip()
        if current and len(current) + len(text) > PASSAGE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{text}".strip() if text else current
    if current:
        pieces.append(current)
    return pieces


def _model_text(spec: ModelSpec) -> str:
    params = "; ".join(
        f"{p.name} ({p.type}{', one of ' + ', '.join(map(str, p.choices)) if p.choices else ''}"
        f"{', default ' + str(p.default) if p.default is not None else ''}): {p.help}"
        for p in spec.parameters
    )
    constraints = "; ".join(
        f"{c.param} only with " + ", ".join(f"{k} {v}" for k, v in c.requires.items())
        if c.kind == "only_with"
        else f"{c.param} is ignored when {c.when_present} is given"
        if c.kind == "ignored_with"
        else f"{c.param} = {c.value} needs {', '.join(c.needs)}"
        for c in spec.constraints
    )
    return (
        f"{spec.display_name} ({spec.id}), a {spec.media_type} model on {spec.provider}. {spec.description} "
        f"Features: {', '.join(sorted(spec.features))}. Reference images: up to {spec.max_reference_images}. "
        f"Parameters: {params}. Constraints: {constraints or 'none'}. Speed: {spec.speed_note} "
        f"Quality: {spec.quality_note} Pricing: {spec.pricing.kind} {spec.pricing.note} "
        f"{'' if spec.pricing.verified else '(price unverified)'} Setup: {spec.setup_note}"
    )


def catalog_passages() -> list[Passage]:
    return [
        Passage("catalog", f"Model catalog › {spec.display_name} ({spec.id})", _model_text(spec))
        for spec in get_catalog().models()
    ]


def project_files(root: Path) -> list[Path]:
    readme = root / "README.md"
    return ([readme] if readme.is_file() else []) + sorted((root / "docs").rglob("*.md"))


def build_index(root: Path = PROJECT_ROOT) -> DocIndex:
    passages = [
        passage
        for path in project_files(root)
        for passage in markdown_passages(str(path.relative_to(root)), path.read_text(encoding="utf-8"))
    ]
    return DocIndex(passages + catalog_passages())


@cache
def project_index() -> DocIndex:
    """The index of the shipped documentation, built once per process."""
    return build_index()


def doc_pages(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """The documentation files by page name (a file's stem), for the docs page."""
    return {path.stem: path for path in project_files(root)}


def search(query: str, limit: int = 5) -> list[Hit]:
    return project_index().search(query, limit)
