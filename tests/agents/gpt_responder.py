"""A responder for `FakeOpenAI` that plays the three agents the way GPT-5 would: structured season and scene
JSON for the Script Writer, tool calls then a summary for the Integrator and the Fallback Handler, a streamed
answer in the chat. It reads the brief the agents send, so what it answers depends on what was asked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.openai_server import (
    Body,
    FunctionCall,
    Reply,
    function_outputs,
    json_reply,
    text_reply,
    tool_call_reply,
)

CHAT_ANSWER = "The provider's safety filter blocked the take. Rewrite the prompt to imply the violence."
WRITER_DURATION = 7  # not offered by Veo (4, 6, 8) nor Wan (5, 10): the Integrator must fix it


def brief_of(body: Body) -> dict[str, Any]:
    """The JSON brief in the first user message of a request."""
    items = body["input"]
    text = items if isinstance(items, str) else next(i["content"] for i in items if i.get("role") == "user")
    return json.loads(text[text.index("{") :])


def agent_of(body: Body) -> str:
    return str(body.get("prompt_cache_key", "")).removeprefix("vsl-").split("-novela-")[0]


def scene_json(brief: dict[str, Any]) -> dict[str, Any]:
    names = [c["name"] for c in brief["characters"]][:2]
    revision = " ".join(filter(None, [brief.get("user_feedback"), brief.get("remedy")]))
    return {
        "title": f"GPT scene {brief['episode']}.{brief['scene']}",
        "summary": f"GPT summary of E{brief['episode']} S{brief['scene']}.",
        "prompt": f"GPT prompt for {brief['model']['style']}: {' and '.join(names)} at dusk. {revision}".strip(),
        "negative_prompt": "blurry",
        "duration_s": WRITER_DURATION,
        "camera": "slow dolly-in",
        "characters_present": names,
        "dialogue": [{"speaker": names[0], "line": "¿Dónde estabas?", "emotion": "sad", "at_s": None}] if names else [],
        "audio_cues": ["rain on the windows"],
        "continuity_notes": "Same red dress as before.",
        "continues_previous": brief["scene"] == 2,  # GPT-5 marks scene 2 as one unbroken sequence with scene 1
    }


def season_json(brief: dict[str, Any]) -> dict[str, Any]:
    episodes, scenes = brief["episodes"], brief["scenes_per_episode"]
    characters = [
        {"name": "Isabel", "look": "30s, red dress", "voice": "warm alto"},
        {"name": "Mateo", "look": "40s, grey suit", "voice": "deep, slow"},
    ]
    scene_brief = {"characters": characters, "model": brief["model"], "episode": 1}
    return {
        "title": "La Hacienda de Sombras",
        "genre": "Drama",
        "description": "Isabel comes home to a hacienda full of secrets.",
        "tone": "tense, lush",
        "setting": "a coffee hacienda in Veracruz, 1990s",
        "characters": characters,
        "episodes": [
            {
                "number": n,
                "title": f"Capítulo {n}",
                "outline": f"Outline {n}",
                "beats": [f"Beat {s}" for s in range(1, scenes + 1)],
            }
            for n in range(1, episodes + 1)
        ],
        "first_episode_scenes": [scene_json({**scene_brief, "scene": s}) for s in range(1, scenes + 1)],
    }


@dataclass
class AgentResponder:
    """The fake GPT-5 behind the agents. `rogue_submit` makes the Integrator try to propose another take, as an
    injected prompt might make a real model do."""

    rogue_submit: int | None = None
    seen: list[str] = field(default_factory=list)

    def __call__(self, body: Body) -> Reply:
        agent = agent_of(body)
        self.seen.append(agent)
        if body.get("stream"):
            return text_reply(CHAT_ANSWER)
        if agent == "script_writer":
            name = body["text"]["format"]["name"]
            brief = brief_of(body)
            return json_reply(season_json(brief) if name == "season_plan" else scene_json(brief))
        if agent == "integrator":
            return self._integrator(body)
        return self._fallback(body)

    def _integrator(self, body: Body) -> Reply:
        brief, outputs = brief_of(body), function_outputs(body)
        if not outputs:
            return tool_call_reply(
                FunctionCall(
                    "validate_parameters", {"model_id": brief["model_id"], "params_json": brief["params_json"]}
                )
            )
        if len(outputs) == 1:
            fixed = json.dumps(json.loads(outputs[0]["output"])["params"])
            target = self.rogue_submit or brief["video_id"]
            return tool_call_reply(
                FunctionCall("calculate_cost", {"model_id": brief["model_id"], "params_json": fixed}),
                FunctionCall("check_budget", {"novela_id": brief["novela_id"], "amount_usd": "0"}),
                FunctionCall(
                    "submit_job",
                    {"video_id": target, "mode": brief["mode"], "prompt": brief["prompt"], "params_json": fixed},
                ),
            )
        cost = json.loads(outputs[1]["output"])["cost_usd"]
        return text_reply(f"Set the duration the model offers. The take costs ${cost}; it fits the budget.")

    def _fallback(self, body: Body) -> Reply:
        brief, outputs = brief_of(body), function_outputs(body)
        if not outputs:
            facts = {k: brief[k] for k in ("stage", "provider", "code", "message")}
            return tool_call_reply(FunctionCall("analyze_error", facts))
        if len(outputs) == 1:
            return tool_call_reply(FunctionCall("search_documentation", {"query": "content policy prompt"}))
        known = json.loads(outputs[0]["output"])["matches"][0]["title"]
        return text_reply(f"Cause: {known}. Fix: soften the prompt and make a new take.")
