"""The sample novela an empty install offers: four scenes rendered offline by the local preview, for $0."""

from __future__ import annotations

from vsl.db.models import Novela
from vsl.jobs import actions
from vsl.novelas import service
from vsl.novelas.validation import Character, NovelaInput
from vsl.runtime import Runtime

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
        default_duration=4,
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


def create_demo(runtime: Runtime, *, generate: bool = True) -> Novela:
    """Store the demo novela and, with `generate`, queue all its (free) scenes for rendering."""
    drafts = {
        (1, i): {"title": title, "prompt": prompt, "agent": "demo"}
        for i, (title, prompt) in enumerate(DEMO_SCENES, start=1)
    }
    novela = service.create(runtime.db, demo_input(), drafts)
    if generate:
        targets = actions.targets_rest_of_episode(runtime.db, novela.id, 1)
        actions.confirm(runtime.db, runtime.registry, actions.quote(runtime.db, runtime.registry, targets))
    return novela
