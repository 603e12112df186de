"""Cost calculator: price a plan live, compare every video model, find the cheapest fitting configuration."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from vsl.catalog import (
    PlanInput,
    PricingError,
    aspect_ratio_choices,
    aspect_ratio_of,
    compare_video_models,
    duration_choices,
    duration_of,
    get_catalog,
    normalize,
    params_for,
    resolution_choices,
    resolution_of,
    validate,
)
from vsl.money import usd
from vsl.novelas import limits
from vsl.ui import calculator, charts
from vsl.ui.runtime import studio_page
from vsl.ui.widgets import count_input


def _pick(label: str, options: list, default: object) -> object:
    """A select box that starts on the model's own default."""
    options = options or [default]
    return st.selectbox(label, options, index=options.index(default) if default in options else 0)


studio_page()
st.title("Cost calculator")
catalog = get_catalog()
videos = catalog.models("video")

left, right = st.columns([1, 2])
with left:
    model_id = st.selectbox(
        "Video model",
        [m.id for m in videos],
        format_func=lambda i: catalog.get(i).display_name,
        index=[m.id for m in videos].index("veo-3.1-fast"),
    )
    spec = catalog.get(model_id)
    defaults = normalize(model_id, {})
    duration = _pick("Duration (s)", duration_choices(model_id), int(duration_of(model_id, defaults)))
    resolution = _pick("Resolution", resolution_choices(model_id), resolution_of(model_id, defaults))
    aspect = _pick("Aspect ratio", aspect_ratio_choices(model_id), aspect_ratio_of(model_id, defaults))
    extra = {"generate_audio": st.toggle("Audio", True)} if spec.param("generate_audio") else {}
    episodes = count_input(limits.EPISODES, 10)
    scenes = count_input(limits.SCENES, 8)
    takes = count_input(limits.TAKES, 1)
    regen = st.slider("Expected regenerations (%)", 0, 200, 20, step=5)
    with st.expander("Images, narration and GPT-5"):
        images = st.number_input("Images per episode (flux-schnell)", 0, 500, 0)
        chars = st.number_input("Narration characters per scene (speech-02-hd)", 0, 10_000, 0)
        gpt_in = st.number_input("GPT-5 input tokens per scene", 0, 200_000, 3000, step=500)
        gpt_out = st.number_input("GPT-5 output tokens per scene", 0, 100_000, 1500, step=500)
    cast_inputs = calculator.cast_inputs()

if any(lim.problem(v) for lim, v in ((limits.EPISODES, episodes), (limits.SCENES, scenes), (limits.TAKES, takes))):
    st.stop()  # the box says what is wrong
params = params_for(model_id, duration, resolution, aspect, **extra)
problems = validate(model_id, params)
try:
    plan = PlanInput(
        model_id=model_id,
        params=params,
        episodes=episodes,
        scenes_per_episode=scenes,
        takes=takes,
        regeneration_rate=Decimal(regen) / 100,
        images_per_episode=images,
        audio_chars_per_scene=chars,
        gpt_input_tokens_per_scene=gpt_in,
        gpt_output_tokens_per_scene=gpt_out,
    )
    whole, cast = calculator.price(plan, cast_inputs)
    estimate = whole.plan
except PricingError as exc:
    problems.append(str(exc))

with right:
    if problems:
        for message in problems:
            st.error(message)
        st.stop()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Per video", usd(estimate.per_video))
    c2.metric("Per scene", usd(estimate.per_scene))
    c3.metric("Per episode", usd(estimate.per_episode))
    c4.metric("Whole novela", usd(whole.total))
    st.caption(f"{estimate.video_count.normalize():f} video generations expected (takes × (1 + regenerations)).")
    st.caption(calculator.cast_caption(cast, whole))
    if not spec.pricing.verified:
        st.warning(f"{spec.display_name}'s price is unverified ({spec.pricing.note or spec.pricing.source}).")
    st.plotly_chart(charts.breakdown(whole.breakdown), width="stretch")
    quotes = compare_video_models(plan)
    st.plotly_chart(charts.model_comparison(quotes, model_id, whole.cast_total), width="stretch")
    calculator.cheapest_box(plan, int(duration), str(resolution), str(aspect), whole.cast_total)
