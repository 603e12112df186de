"""Offline mode: the three agents' work done deterministically, without GPT-5, when no OpenAI key is set.

Same interfaces as the GPT-5 implementations (`Drafter`, `Reviewer`, `Advisor`): the Script Writer fills templates
from the premise and the story bible, the Integrator runs its tools in a fixed order, the Fallback Handler answers
from the knowledge base and the documentation search. Every output says it was made offline. A key that is set
but failing never lands here: the error is shown instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from vsl.agents.docs_search import Hit
from vsl.agents.fallback import Briefing, FailureContext, FallbackTools
from vsl.agents.integrator import IntegratorTools, TakeRequest
from vsl.agents.script_writer import CallContext, ModelBrief, SceneBrief, SeasonBrief, clip
from vsl.agents.story import StoryBible
from vsl.money import usd
from vsl.novelas.validation import GENRES

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "Romance": ("love", "romance", "wedding", "heart", "affair", "kiss", "fall for", "amor", "bride"),
    "Crime": ("murder", "crime", "detective", "police", "cartel", "smuggl", "heist", "corrupt"),
    "Thriller": ("revenge", "conspiracy", "kidnap", "threat", "escape", "betray", "blackmail"),
    "Mystery": ("mystery", "disappear", "missing", "clue", "hidden", "secret"),
    "Comedy": ("comedy", "funny", "mix-up", "prank", "hilarious"),
    "Family saga": (
        "family",
        "inheritance",
        "heir",
        "sister",
        "brother",
        "mother",
        "father",
        "daughter",
        "son",
    ),
    "Period drama": ("century", "colonial", "revolution", "1800", "1900", "1920", "victorian"),
    "Fantasy": ("magic", "witch", "curse", "spirit", "enchant"),
    "Science fiction": ("future", "robot", "spaceship", "clone", "android"),
}
TONES = {
    "Romance": "warm, yearning, bittersweet",
    "Crime": "tense, gritty, morally grey",
    "Thriller": "taut, suspenseful, urgent",
    "Mystery": "brooding, curious, quietly ominous",
    "Comedy": "light, quick, affectionate",
    "Family saga": "emotional, proud, full of old wounds",
    "Period drama": "lush, formal, simmering",
    "Fantasy": "wondrous, eerie, mythic",
    "Science fiction": "sleek, uneasy, hopeful",
}
PLACES = (
    "hacienda", "vineyard", "coffee farm", "ranch", "mansion", "hotel", "hospital", "village", "island", "palace",
    "newsroom", "restaurant", "school", "market", "harbour", "factory", "theatre", "city",
)  # fmt: skip
NAME_POOL = ("Isabel", "Mateo", "Lucía", "Rafael", "Doña Carmen", "Valentina", "Diego", "Renata")
NOT_NAMES = frozenset((
    "A", "An", "The", "When", "After", "Before", "In", "On", "At", "Her", "His", "Their", "She", "He",
    "They", "It", "Its", "This", "That", "One", "Two", "Three", "But", "And", "Episode", "Scene", "Ignore", "Submit",
))  # fmt: skip
LOOKS = (
    "early 30s, dark wavy shoulder-length hair, expressive brown eyes, deep red clothes, a thin gold necklace",
    "mid 30s, short black hair, trimmed beard, white linen shirt with rolled sleeves, a worn leather watch",
    "late 20s, long chestnut braid, freckles, denim jacket over a floral blouse",
    "60s, silver hair in a tight bun, pearl earrings, high-collared black dress, a carved walking cane",
    "early 40s, greying temples, sharp grey suit, a scar over the left eyebrow",
    "early 20s, curly auburn hair, round glasses, yellow raincoat",
)
VOICES = (
    "warm, low voice; speaks softly and quickly when nervous",
    "deep, calm voice with a slight rasp; measured pauses",
    "bright, fast, teasing voice",
    "commanding, slow, every word weighed",
    "smooth baritone, polite and cold",
    "breathless, eager voice, laughs easily",
)
EPISODE_ARC = ("Setup", "Complications", "Revelations", "Betrayal", "Confrontation")
BEATS = (
    "{a} arrives at {place} and senses that something is being hidden.",
    "{a} and {b} clash over what {b} knows.",
    "A discovery at {place} changes what {a} believes.",
    "{b} confides in {a}, and a new alliance forms.",
    "{a} is forced to choose between loyalty and the truth.",
    "An old rival resurfaces and threatens {b}.",
)
CLIFFHANGER = "Cliffhanger: {a} learns a secret that turns everything upside down."
# a short title for each beat above (and the cliffhanger), never a sentence cut in the middle
BEAT_TITLES = ("{a} Arrives", "{a} and {b} Clash", "A Discovery", "A New Alliance", "Loyalty or Truth",
               "The Old Rival", "The Secret")  # fmt: skip
SEASON_TITLES = ("Secrets of {p}", "Shadows over {p}", "The Heirs of {p}", "Love and Lies in {p}", "{a}'s Secret",
                 "The Price of Silence")  # fmt: skip
CAMERAS = (
    "Wide establishing shot, slow push-in",
    "Medium two-shot, gentle handheld",
    "Close-up, shallow depth of field, slow rack focus",
    "Over-the-shoulder shot, static",
    "Low-angle tracking shot following the action",
)
LINES = (
    "I know what you did.",
    "You should not be here.",
    "Tell me the truth, just once.",
    "Everything changes tonight.",
    "This family has kept too many secrets.",
)
LINE_EMOTIONS = ("angry", "fearful", "sad", "calm", "disgusted")  # the delivery of each of LINES (speech-02-hd)
NEGATIVE = "blurry, distorted faces, extra limbs, text on screen, watermark, flicker"
IMPLIED = "Tasteful and implied: emotions and reactions carry the scene; nothing graphic is shown."
# words a content filter tends to flag, and what an offline revision says instead
SOFTER = {
    r"\bblood(y)?\b": "tension",
    r"\b(kill(s|ed|ing)?|murder(s|ed|ing)?)\b": "confront",
    r"\b(gun|pistol|rifle|knife|weapon)s?\b": "threat",
    r"\b(naked|nude|sex(ual)?)\b": "intimate",
    r"\b(corpse|dead body|gore|gory)\b": "aftermath",
}


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def genre_of(premise: str) -> str:
    lowered = premise.lower()
    hits = {genre: sum(word in lowered for word in words) for genre, words in GENRE_WORDS.items()}
    best = max(hits, key=lambda g: hits[g])
    return best if hits[best] else GENRES[0]


def place_of(premise: str) -> str:
    named = re.search(r"\b(?i:in|at|on) ((?:[A-Z][\w'-]+)(?: (?:de |del |la )?[A-Z][\w'-]+)*)", premise)
    if named:
        return named.group(1)
    word = next((p for p in PLACES if p in premise.lower()), None)
    return f"the {word}" if word else "San Isidro"


def names_in(premise: str, place: str) -> list[str]:
    """Capitalised words that look like names (not sentence starts, not the place)."""
    found = []
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-záéíóúñ]+)\b", premise):
        word = match.group(1)
        if word not in NOT_NAMES and word not in place and word not in found:
            found.append(word)
    return found[:4]


def _characters(premise: str, place: str) -> list[dict[str, str]]:
    names = names_in(premise, place)
    names += [n for n in NAME_POOL if n not in names][: max(0, 3 - len(names))]
    offset = _seed(premise)
    return [
        {"name": name, "look": LOOKS[(offset + i) % len(LOOKS)], "voice": VOICES[(offset + i) % len(VOICES)]}
        for i, name in enumerate(names)
    ]


def _episode(number: int, total: int, scenes: int, names: list[str], place: str) -> dict[str, Any]:
    stage = "Resolution" if number == total and total > 1 else EPISODE_ARC[(number - 1) % len(EPISODE_ARC)]
    a, b = names[(number - 1) % len(names)], names[number % len(names)]
    beats = [BEATS[(number - 1 + s) % len(BEATS)].format(a=a, b=b, place=place) for s in range(scenes - 1)]
    beats.append(CLIFFHANGER.format(a=a))
    return {
        "number": number,
        "title": stage,
        "outline": f"{stage}: {a} and {b} at {place}. " + " ".join(beats[:2]),
        "beats": beats,
    }


def beat_title(beat: str, scene: int) -> str:
    """A scene's title: the template title of one of our beats, else the beat's first sentence when it is short,
    else "Scene N" (a title is never a sentence cut off in the middle)."""
    for template, title in zip((*BEATS, CLIFFHANGER), BEAT_TITLES, strict=True):
        found = re.fullmatch(_template_pattern(template), beat.strip())
        if found:
            return title.format(**found.groupdict())
    sentence = beat.rsplit(":", maxsplit=1)[-1].split(".", maxsplit=1)[0].strip()
    return sentence if 0 < len(sentence) <= 48 else f"Scene {scene}"


def _template_pattern(template: str) -> str:
    """A regex matching `template` filled in: the first {a}/{b} captures the name, a repeat must match it."""
    seen: set[str] = set()

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "place":
            return ".+?"
        first = name not in seen
        seen.add(name)
        return f"(?P<{name}>.+?)" if first else f"(?P={name})"

    return re.sub(r"\\\{(\w+)\\\}", field, re.escape(template))


def _present(bible: StoryBible, brief_beat: str, scene: int) -> list[str]:
    names = [c.name for c in bible.characters]
    mentioned = [n for n in names if n in brief_beat]
    if mentioned or not names:
        return mentioned
    return [names[(scene - 1) % len(names)]]


def _same_lead(beat: str, before: str) -> bool:
    """Offline, a scene continues the previous one when both beats open on the same character (the arrival,
    then the clash it leads to); a discovery, a confidence or the cliffhanger are cuts."""
    lead = beat.split(" ", 1)[0]
    return bool(before) and lead not in NOT_NAMES and before.split(" ", 1)[0] == lead


def _soften(text: str) -> str:
    for pattern, softer in SOFTER.items():
        text = re.sub(pattern, softer, text, flags=re.IGNORECASE)
    return text


def _phrase(model: ModelBrief, parts: dict[str, Any]) -> str:
    """The prompt in the target model's style (Veo prose with dialogue and sound; Wan descriptors)."""
    people = "; ".join(f"{c['name'].upper()} ({c['look']})" for c in parts["people"])
    if model.style == "wan":
        text = ", ".join(filter(None, [people, parts["action"], parts["place"], parts["camera"], parts["light"],
                                       "cinematic telenovela style, film grain"]))  # fmt: skip
    elif model.style == "veo":
        lines = " ".join(f'{d["speaker"].upper()} says: "{d["line"]}"' for d in parts["dialogue"])
        sound = "Audio: " + ", ".join(parts["audio"]) + "." if parts["audio"] else ""
        text = f"{parts['camera']}. {people}. {parts['action']} At {parts['place']}, {parts['light']}. {lines} {sound}"
    else:
        text = f"{parts['action']} At {parts['place']}. {parts['camera']}."
    return clip(" ".join(text.split()), model.prompt_max)


class OfflineDrafter:
    """The Script Writer's templates: a season from the premise, scenes from the bible and the beat."""

    offline = True

    def plan_season(self, brief: SeasonBrief, ctx: CallContext) -> dict[str, Any]:
        premise = " ".join(brief.premise.split())
        genre, place = genre_of(premise), place_of(premise)
        characters = _characters(premise, place)
        names = [c["name"] for c in characters]
        name = f"the {place[4:].title()}" if place.startswith("the ") else place
        title = SEASON_TITLES[_seed(premise) % len(SEASON_TITLES)].format(p=name, a=names[0])
        title = title[0].upper() + title[1:]
        return {
            "title": title[:120],
            "genre": genre,
            "description": f"{premise.rstrip('.')}. A {genre.lower()} in {brief.episodes} episodes set in {place}.",
            "tone": TONES.get(genre, "heightened, emotional, full of reversals"),
            "setting": f"{place}, present day",
            "characters": characters,
            "episodes": [_episode(n, brief.episodes, brief.scenes, names, place) for n in range(1, brief.episodes + 1)],
            "first_episode_scenes": [],  # written one by one with write_scene, from the bible
        }

    def write_scene(self, brief: SceneBrief, ctx: CallContext) -> dict[str, Any]:
        """A scene from the bible and the beat; a revision keeps the current prompt and applies the change."""
        scene = self._from_bible(brief)
        prompt = brief.current.get("prompt") or scene["prompt"]
        if brief.feedback:
            prompt = f"{prompt} Revised as asked: {brief.feedback.strip()}"
        if brief.remedy == "rewrite_prompt":
            prompt = f"{_soften(prompt)} {IMPLIED}"
            scene["summary"] = _soften(scene["summary"])
        return {**scene, "prompt": clip(prompt, brief.model.prompt_max)}

    def _from_bible(self, brief: SceneBrief) -> dict[str, Any]:
        bible, model = brief.bible, brief.model
        beat = brief.beat or f"Scene {brief.scene} of episode {brief.episode}."
        present = _present(bible, beat, brief.scene)
        people = [{"name": n, "look": s.look if (s := bible.character(n)) else ""} for n in present]
        dialogue = [
            {
                "speaker": n,
                "line": LINES[(brief.scene + i) % len(LINES)],
                "emotion": LINE_EMOTIONS[(brief.scene + i) % len(LINES)],
                "at_s": None,
            }
            for i, n in enumerate(present)
        ]
        parts = {
            "people": people,
            "action": beat,
            "place": bible.setting or "the main house",
            "camera": CAMERAS[(brief.scene - 1) % len(CAMERAS)],
            "light": "warm low evening light" if brief.scene % 2 else "soft morning light through the windows",
            "dialogue": dialogue if model.style == "veo" else [],
            "audio": ["distant thunder", "a slow guitar motif"] if model.audio else [],
        }
        previous = bible.previous(brief.episode, brief.scene, 1)
        return {
            "title": beat_title(beat, brief.scene),
            "summary": beat,
            "prompt": _phrase(model, parts),
            "negative_prompt": NEGATIVE if model.negative_prompt else "",
            "duration_s": model.default_duration,
            "camera": parts["camera"],
            "characters_present": present,
            "dialogue": dialogue,
            "audio_cues": parts["audio"],
            "continuity_notes": f"Follows {previous[0]}" if previous else "Opening scene: establish the looks.",
            "continues_previous": brief.scene > 1 and _same_lead(beat, bible.beat(brief.episode, brief.scene - 1)),
        }


class OfflineReviewer:
    """The Integrator's tools in a fixed order: validate, price, check the budget, propose."""

    offline = True

    def review(self, request: TakeRequest, tools: IntegratorTools, ctx: CallContext) -> str:
        checked = tools.validate_parameters(request.model_id, json.dumps(request.params))
        if checked["problems"]:
            return "The parameters still have problems: " + " ".join(checked["problems"])
        params = json.dumps(checked["params"])
        cost = tools.calculate_cost(request.model_id, params)
        budget = tools.check_budget(request.novela_id, cost["cost_usd"])
        tools.submit_job(request.video_id, request.mode, request.prompt, params)
        changed = "Changed: " + "; ".join(tools.changes) + "." if tools.changes else "No changes were needed."
        fits = "It fits the budget." if budget["fits"] else "It does NOT fit the remaining budget."
        return f"{changed} This take costs {usd(cost['cost_usd'])}. {fits} (offline check)"


_SPEND_WORDS = re.compile(r"\b(submit|generate|render|spend|pay|buy|confirm)\b", re.IGNORECASE)


def offline_answer(brief: Briefing) -> str:
    """The Fallback Handler's answer from the knowledge base and the docs, in Markdown."""
    parts = ["*Offline answer (no OPENAI_API_KEY): from the knowledge base and the project docs.*"]
    if brief.context is not None:
        parts.append(f"About {brief.context.summary()}")
    if brief.diagnosis is not None:
        known = brief.diagnosis.failure
        parts.append(f"**{known.title}.** {known.cause}\n\n**Fix:** {known.fix}")
    elif brief.context is not None:
        parts.append("This failure does not match a known pattern; the provider's message above is the best clue.")
    readable = [h for h in brief.hits if h.answer(brief.question)]
    if readable:
        best = readable[0]
        parts.append(
            f"From the docs: {_read_out(best, brief.question)}\n\n"
            f"Read more: [{_page_title(best)}]({best.page})"
            + "".join(f" · [{_page_title(h)}]({h.page})" for h in readable[1:3] if h.page != best.page)
        )
    if _SPEND_WORDS.search(brief.question):
        parts.append(
            "I cannot start or pay for generations. The board's Generate buttons, and the proposals the agents "
            "prepare, always show the price first and spend only after you confirm."
        )
    if len(parts) == 1:
        parts.append("I found nothing about that. Ask about a failure, a model's parameters or prices.")
    return "\n\n".join(parts)


def _read_out(hit: Hit, question: str) -> str:
    """The hit's answer as Markdown: a dollar sign is a price, not the start of a formula."""
    return hit.answer(question).replace("$", r"\$")


def _page_title(hit: Hit) -> str:
    """A passage's title as a link text: no Markdown brackets or stars that would break the link."""
    return re.sub(r"[\[\]*_`]", "", hit.passage.title)


def words(text: str) -> Iterator[str]:
    """`text` piece by piece (a word with its trailing space), as a stream."""
    yield from re.findall(r"\S+\s*|\s+", text)


class OfflineAdvisor:
    offline = True

    def advise(self, context: FailureContext, tools: FallbackTools, ctx: CallContext) -> str:
        found = tools.analyze_error(context.stage, context.provider, context.code, context.message)
        if not found["known"]:
            return "Offline: this failure matches no known pattern; try one new take, then another model."
        best = found["matches"][0]
        return f"Offline diagnosis: {best['title']}. {best['cause']} Fix: {best['fix']}"

    def answer(self, brief: Briefing, ctx: CallContext) -> Iterator[str]:
        return words(offline_answer(brief))
