"""The sample novela an empty install offers: a one-minute episode rendered offline by the local preview for $0,
in which Isabel and Rafael speak (espeak-ng stand-in voices), with subtitles and a title card."""

from __future__ import annotations

import time
from typing import Any

from vsl.db import video_repo
from vsl.db.models import MediaItem, Novela
from vsl.jobs import actions
from vsl.jobs.assembly import assemble_episode
from vsl.jobs.states import ACTIVE
from vsl.novelas import service
from vsl.novelas.validation import Character, NovelaInput
from vsl.runtime import Runtime
from vsl.sound.dialogue import NARRATOR, DialogueLine, speakers, with_lines

DEMO_TITLE = "Hacienda de Sombras (demo)"
DEMO_SCENES = [
    (
        "Storm over the hacienda",
        "Night, rain lashing the hacienda windows. ISABEL (30s, red dress, dark braid) waits by the fireplace, "
        "a sealed letter in her hand. Slow push-in, warm firelight against cold blue rain.",
    ),
    (
        "The brother returns",
        "The great door bursts open: RAFAEL (40s, grey suit soaked by rain, scar on left cheek) stands in the "
        "doorway. Isabel turns, the letter hidden behind her back. Low angle, lightning flash.",
    ),
    (
        "The letter",
        "Close-up on Isabel's hands breaking the wax seal. Rafael's reflection in the window behind her. "
        "Candle flicker, shallow depth of field, tense silence.",
    ),
    (
        "Secrets in the chapel",
        "Dawn in the family chapel. Isabel kneels; DOÑA ELENA (70s, black lace mantilla) watches from the "
        "shadows. Wide shot, dust in golden light, then a slow pan to Elena's face.",
    ),
    (
        "The confession",
        "Rafael enters the chapel, hat in hand, rain still dripping from his coat. Isabel rises to face him. "
        "Two-shot in profile, candlelight between them.",
    ),
    (
        "Morning after the storm",
        "Sunrise over the wet courtyard. Isabel alone at the gate, the opened letter in her hand, watching the "
        "road. Slow crane up, birdsong, long shadows.",
    ),
]
# (speaker, line, emotion, timing hint) per scene: two characters speak, a narrator opens and closes
DEMO_DIALOGUE = [
    [
        ("NARRATOR", "Veracruz, nineteen fifty-two. The letter came with the storm.", "calm", None),
        ("Isabel", "Who would write to us after all these years?", "fearful", None),
    ],
    [
        ("Rafael", "Isabel! Why was the door of our father's house locked?", "angry", 0.6),
        ("Isabel", "Rafael? You swore you would never come back.", "surprised", None),
    ],
    [
        ("Rafael", "Give me the letter, sister.", "calm", 0.5),
        ("Isabel", "It is addressed to me. Not to you.", "angry", None),
    ],
    [
        ("Isabel", "Mother knew. She always knew.", "sad", 1.0),
        ("NARRATOR", "And Doña Elena said nothing at all.", "calm", None),
    ],
    [
        ("Rafael", "I sold the hacienda, Isabel. I had no choice.", "sad", 0.5),
        ("Isabel", "Then tonight you lose your sister too.", "angry", None),
    ],
    [
        ("NARRATOR", "By morning, only one of them still kept the secret.", "calm", 1.5),
    ],
]


def demo_input() -> NovelaInput:
    return NovelaInput(
        title=DEMO_TITLE,
        genre="Family saga",
        description="A sample novela rendered offline by the local preview renderer, free of charge.",
        premise="A letter arrives at a stormy hacienda and reopens a family's buried secret.",
        episodes=1,
        scenes_per_episode=len(DEMO_SCENES),
        default_model_id="local-preview",
        default_duration=9,
        default_resolution="480p",
        aspect_ratio="16:9",
        characters=[
            Character("Isabel", "30s, red dress, dark braid; proud and guarded"),
            Character("Rafael", "40s, grey suit, scar on the left cheek; her estranged brother"),
            Character("Doña Elena", "70s, black lace mantilla; the matriarch who knows everything"),
        ],
        master_seed=424242,
        budget=None,
    )


def _details(scene: int) -> dict[str, Any]:
    lines = [DialogueLine(who, line, emotion, at) for who, line, emotion, at in DEMO_DIALOGUE[scene - 1]]
    return with_lines({"characters": [who for who in speakers(lines) if who != NARRATOR]}, lines)


def create_demo(runtime: Runtime, *, generate: bool = True) -> Novela:
    """Store the demo novela and, with `generate`, queue all its (free) scenes for rendering."""
    drafts = {
        (1, i): {"title": title, "prompt": prompt, "agent": "demo", "details": _details(i)}
        for i, (title, prompt) in enumerate(DEMO_SCENES, start=1)
    }
    novela = service.create(runtime.db, demo_input(), drafts)
    if generate:
        targets = actions.targets_rest_of_episode(runtime.db, novela.id, 1)
        actions.confirm(runtime.db, runtime.registry, actions.quote(runtime.db, runtime.registry, targets))
    return novela


def render_demo(runtime: Runtime, *, timeout_s: float = 600.0) -> MediaItem:
    """Create the demo, render its scenes with this process's worker and assemble the episode (`python -m vsl demo`)."""
    novela = create_demo(runtime)
    deadline = time.monotonic() + timeout_s
    while _in_flight(runtime, novela.id):
        if time.monotonic() > deadline:
            raise TimeoutError(f"The demo's scenes did not finish within {timeout_s:g} s.")
        if not runtime.worker.step():
            time.sleep(0.05)
    return assemble_episode(runtime.db, runtime.storage, novela.id, 1)


def _in_flight(runtime: Runtime, novela_id: int) -> bool:
    with runtime.db.session() as session:
        return video_repo.in_flight_count(session, novela_id, [s.value for s in ACTIVE]) > 0
