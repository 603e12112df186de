"""The manual path of the new-novela wizard: one function per step, values kept in `st.session_state["wiz"]`."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import streamlit as st

from vsl.cast.costs import CastPlan
from vsl.catalog import aspect_ratio_choices, duration_choices, get_catalog, resolution_choices
from vsl.money import usd
from vsl.novelas import limits, validation
from vsl.novelas.estimate import cast_plan, plan_estimate
from vsl.novelas.references import BadReferenceImage, store_reference_image
from vsl.novelas.validation import GENRES, Character, NovelaInput, NovelaInvalid
from vsl.ui.runtime import get_runtime
from vsl.ui.widgets import count_input, model_card, plain, said

STEPS = [
    "Basic info",
    "Model",
    "Model settings",
    "Episodes & scenes",
    "Characters",
    "Cost preview",
    "Confirm",
]
STEP_FIELDS = {
    0: {"title", "genre", "description", "premise"},
    2: {"model_settings", "default_model_id"},
    3: {"episodes", "scenes_per_episode", "budget", "master_seed"},
    4: {"characters"},
}
OTHER_GENRE = "Other…"


def state() -> dict[str, Any]:
    if "wiz" not in st.session_state:
        st.session_state["wiz"] = {
            "step": 0,
            "title": "",
            "genre": GENRES[0],
            "description": "",
            "premise": "",
            "model_id": "local-preview",
            "duration": 5,
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "generate_audio": True,
            "episodes": limits.DEFAULT_EPISODES,
            "scenes": limits.DEFAULT_SCENES,
            "budget_text": "",
            "seed": 424242,
            "characters": [],
        }
    return st.session_state["wiz"]


def to_input(w: dict[str, Any]) -> NovelaInput:
    """The wizard's values as a NovelaInput (budget parse errors surface as NovelaInvalid)."""
    spec = get_catalog().get(w["model_id"])
    extra = {"generate_audio": w["generate_audio"]} if spec.param("generate_audio") else {}
    return NovelaInput(
        title=w["title"],
        genre=w["genre"],
        description=w["description"],
        premise=w["premise"],
        episodes=int(w["episodes"]),
        scenes_per_episode=int(w["scenes"]),
        default_model_id=w["model_id"],
        default_duration=int(w["duration"]),
        default_resolution=w["resolution"],
        aspect_ratio=w["aspect_ratio"],
        extra_params=extra,
        master_seed=w["seed"],
        budget=validation.parse_budget(w["budget_text"]),
        characters=[Character(**c) for c in w["characters"]],
    )


def step_errors(w: dict[str, Any], step: int) -> dict[str, str]:
    try:
        found = validation.problems(to_input(w))
    except NovelaInvalid as exc:
        found = exc.errors
    fields = STEP_FIELDS.get(step)
    return {k: v for k, v in found.items() if fields is None or k in fields}


def basic_info(w: dict[str, Any], errors: dict[str, str]) -> None:
    w["title"] = st.text_input("Title", w["title"], max_chars=validation.MAX_TITLE, placeholder="Hacienda de Sombras")
    _inline(errors, "title")
    options = [*GENRES, OTHER_GENRE]
    chosen = st.selectbox("Genre", options, index=options.index(w["genre"]) if w["genre"] in GENRES else len(GENRES))
    w["genre"] = (
        st.text_input("Your genre", w["genre"] if w["genre"] not in GENRES else "", max_chars=60)
        if chosen == OTHER_GENRE
        else chosen
    )
    _inline(errors, "genre")
    w["premise"] = st.text_area("Premise (one line is enough)", w["premise"], height=80)
    _inline(errors, "premise")
    w["description"] = st.text_area("Description (optional)", w["description"], height=100)
    _inline(errors, "description")


def choose_model(w: dict[str, Any], _errors: dict[str, str]) -> None:
    models = get_catalog().models("video")
    cols = st.columns(3)
    for i, spec in enumerate(models):
        with cols[i % 3]:
            if model_card(spec, key=f"wiz_model_{spec.id}", selected=w["model_id"] == spec.id):
                w["model_id"] = spec.id
                _fit_settings(w)
                st.rerun()


def _fit_settings(w: dict[str, Any]) -> None:
    """Keep the chosen duration/resolution/aspect valid for a newly chosen model."""
    for key, choices in (
        ("duration", duration_choices),
        ("resolution", resolution_choices),
        ("aspect_ratio", aspect_ratio_choices),
    ):
        allowed = choices(w["model_id"])
        if allowed and w[key] not in allowed:
            w[key] = allowed[-1] if key == "resolution" else allowed[0]


def model_settings(w: dict[str, Any], errors: dict[str, str]) -> None:
    spec = get_catalog().get(w["model_id"])
    st.markdown(f"Settings for **{spec.display_name}** — only the values it accepts are offered.")
    _fit_settings(w)
    w["duration"] = _choice("Duration (seconds)", duration_choices(w["model_id"]), w["duration"])
    w["resolution"] = _choice("Resolution", resolution_choices(w["model_id"]), w["resolution"])
    w["aspect_ratio"] = _choice("Aspect ratio", aspect_ratio_choices(w["model_id"]), w["aspect_ratio"])
    if spec.param("generate_audio"):
        w["generate_audio"] = st.toggle("Generate audio", w["generate_audio"])
    _inline(errors, "model_settings")


def _choice(label: str, options: list[Any], value: Any) -> Any:
    if not options:
        return value
    if len(options) == 1:
        st.caption(f"{label}: {options[0]}")
        return options[0]
    return st.segmented_control(label, options, default=value if value in options else options[0]) or value


def episodes(w: dict[str, Any], errors: dict[str, str]) -> None:
    c1, c2 = st.columns(2)
    with c1:
        w["episodes"] = count_input(limits.EPISODES, w["episodes"])
    with c2:
        w["scenes"] = count_input(limits.SCENES, w["scenes"])
    w["budget_text"] = st.text_input("Budget in USD (empty = no budget)", w["budget_text"], placeholder="250")
    _inline(errors, "budget")
    c3, c4 = st.columns([3, 1])
    w["seed"] = c3.number_input(
        "Master seed (keeps characters consistent across shots)", 0, validation.MAX_SEED, int(w["seed"])
    )
    if c4.button("Random", icon=":material/casino:", width="stretch"):
        w["seed"] = random.randint(0, validation.MAX_SEED)
        st.rerun()


def characters(w: dict[str, Any], errors: dict[str, str]) -> None:
    st.caption("Reference characters keep faces and costumes consistent (Veo 3.1 uses up to 3 images).")
    for i, ch in enumerate(w["characters"]):
        with st.container(border=True):
            c1, c2 = st.columns([4, 1])
            c1.markdown(f"**{plain(ch['name'])}** — {plain(ch['description']) or 'no description'}")
            c1.caption(plain(ch["image_url"]) or "no image")
            if c2.button("Remove", key=f"wiz_rm_{i}"):
                w["characters"].pop(i)
                st.rerun()
    with st.form("wiz_add_character", clear_on_submit=True):
        name = st.text_input("Name", max_chars=60)
        description = st.text_area("Look and voice", height=70)
        url = st.text_input("Image URL (http/https), or upload below")
        upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "webp"])
        if st.form_submit_button("Add character"):
            _add_character(w, name, description, url, upload)
    _inline(errors, "characters")


def _add_character(w: dict[str, Any], name: str, description: str, url: str, upload: Any) -> None:
    if upload is not None:
        try:
            url = store_reference_image(get_runtime().storage, upload.name, upload.getvalue())
        except BadReferenceImage as exc:
            st.error(said(exc))
            return
    w["characters"].append({"name": name, "description": description, "image_url": url.strip()})
    st.rerun()


def cost_preview(w: dict[str, Any], _errors: dict[str, str]) -> None:
    data = to_input(w)
    estimate = plan_estimate(data)
    plan = estimate.plan
    c1, c2, c3 = st.columns(3)
    c1.metric("Per scene", usd(plan.per_video))
    c2.metric("Per episode", usd(plan.per_episode))
    c3.metric("Whole novela", usd(estimate.total))
    parts = {k: v for k, v in estimate.breakdown.items() if k in plan.breakdown or k == "portraits"}
    st.caption("Breakdown: " + " · ".join(f"{k} {usd(v)}" for k, v in parts.items()))
    _portraits_note(cast_plan(data), estimate.cast["portraits"])
    if get_runtime().registry.is_stand_in(data.default_model_id):
        st.info(
            "No video provider is configured, so scenes will render with the free local preview ($0). "
            "The prices above are what the real model would cost.",
            icon=":material/info:",
        )
    if data.budget is not None and estimate.total > data.budget:
        st.warning(
            f"The plan ({usd(estimate.total)}) exceeds the budget ({usd(data.budget)}): generation stops "
            "at the budget; raise it or plan fewer scenes."
        )


def _portraits_note(cast: CastPlan, cost: Decimal) -> None:
    """What the portraits in the whole-novela figure are; nothing without reference characters."""
    if cast.assets:
        portraits = "1 portrait" if cast.assets == 1 else f"{cast.assets} portraits"
        model = get_catalog().get(cast.portrait_model).display_name
        st.caption(f"The whole novela includes {portraits} ({usd(cost)}), one per reference character, with {model}.")


def confirm(w: dict[str, Any], _errors: dict[str, str]) -> None:
    data = to_input(w)
    st.markdown(
        f"**{plain(data.title)}** · {plain(data.genre)} · {data.episodes} episodes × {data.scenes_per_episode} scenes"
    )
    st.caption(
        f"Model {data.default_model_id}, {data.default_duration}s, {data.default_resolution}, "
        f"{data.aspect_ratio}; seed {data.master_seed}; {len(data.characters)} characters"
    )


RENDERERS: list[Callable[[dict[str, Any], dict[str, str]], None]] = [
    basic_info,
    choose_model,
    model_settings,
    episodes,
    characters,
    cost_preview,
    confirm,
]


def _inline(errors: dict[str, str], key: str) -> None:
    if key in errors:
        st.error(errors[key], icon=":material/warning:")
