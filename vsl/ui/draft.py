"""The "Draft with agents" path of the new-novela page: one premise, one click, a draft to review, one click to store.

Empty page → type the premise → "Draft with agents" → review (everything is editable) → "Create novela":
two clicks. The draft lives in session state until it is stored or discarded.
"""

from __future__ import annotations

import streamlit as st

from vsl.agents import flows
from vsl.agents.flows import NovelaDraft
from vsl.catalog import get_catalog
from vsl.money import usd
from vsl.novelas import limits, validation
from vsl.novelas.validation import NovelaInvalid
from vsl.ui.agents import AGENT_ERRORS, mode_note, show_agent_error, team_or_stop
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import count_input, plain

DRAFT = "_vsl_agent_draft"


def render() -> None:
    team = team_or_stop()
    mode_note(team)
    with st.form("agent_draft"):
        premise = st.text_area(
            "Premise",
            placeholder="A maid at a coffee hacienda in Veracruz discovers she is the owner's lost daughter…",
            max_chars=validation.MAX_TEXT,
            height=90,
            key="draft_premise",
        )
        c1, c2 = st.columns(2)
        with c1:
            episodes = count_input(limits.EPISODES, limits.DEFAULT_EPISODES, key="draft_episodes")
        with c2:
            scenes = count_input(limits.SCENES, limits.DEFAULT_SCENES, key="draft_scenes")
        submitted = st.form_submit_button("Draft with agents", icon=":material/auto_awesome:", type="primary")
        if submitted and not (limits.EPISODES.problem(episodes) or limits.SCENES.problem(scenes)):
            _draft(premise, episodes, scenes)
    draft: NovelaDraft | None = st.session_state.get(DRAFT)
    if draft is not None:
        review(draft)


def rendering_model() -> str:
    """The model the draft starts on: the recommended one, or the free local preview when nothing would render
    the recommended one (no video provider configured)."""
    recommended = flows.default_model()
    return "local-preview" if get_runtime().registry.is_stand_in(recommended) else recommended


def _draft(premise: str, episodes: int, scenes: int) -> None:
    try:
        with st.spinner("The Script Writer is planning the season; the Integrator checks the model and budget…"):
            st.session_state[DRAFT] = flows.draft_novela(
                team_or_stop(), premise, episodes, scenes, model_id=rendering_model()
            )
    except AGENT_ERRORS as exc:
        show_agent_error(exc)


def review(draft: NovelaDraft) -> None:
    """Every field of the draft, editable; then store it."""
    st.subheader("Review the draft")
    if draft.offline:
        st.caption("Drafted offline from templates (no OPENAI_API_KEY).")
    for note in draft.notes:
        st.caption(plain(note))
    key = draft.conversation_id
    draft.title = st.text_input("Title", draft.title, max_chars=validation.MAX_TITLE, key=f"draft_title_{key}")
    draft.genre = st.text_input("Genre", draft.genre, max_chars=60, key=f"draft_genre_{key}")
    draft.description = st.text_area("Description", draft.description, height=90, key=f"draft_description_{key}")
    _model(draft)
    budget_text = st.text_input(
        "Budget in USD (the agents' suggestion; empty = no budget)",
        draft.settings["budget_usd"],
        key=f"draft_budget_{key}_{draft.model_id}",
    )
    _story(draft)
    create, discard = st.columns(2)
    if create.button("Create novela", icon=":material/check:", type="primary", width="stretch", key="draft_create"):
        _create(draft, budget_text)
    if discard.button("Discard draft", icon=":material/delete:", width="stretch", key="draft_discard"):
        st.session_state.pop(DRAFT, None)
        st.rerun()


def _model(draft: NovelaDraft) -> None:
    models = get_catalog().models("video")
    ids = [m.id for m in models]
    names = {m.id: m.display_name for m in models}
    chosen = st.selectbox(
        "Video model",
        ids,
        index=ids.index(draft.model_id),
        format_func=names.get,
        key=f"draft_model_{draft.conversation_id}",
    )
    if chosen != draft.model_id:
        st.session_state[DRAFT] = draft.with_model(chosen)
        st.rerun()
    s = draft.settings
    audio = ", with audio" if s["generate_audio"] else ""
    st.caption(f"{s['duration']} s · {s['resolution']} · {s['aspect_ratio']}{audio} · master seed {draft.master_seed}")
    st.metric("Estimated cost of the whole novela (20% retakes included)", usd(draft.estimate))
    _real_price(draft)


def _real_price(draft: NovelaDraft) -> None:
    """Beside a draft that renders free for lack of a provider, what the real model would cost."""
    registry, recommended = get_runtime().registry, flows.default_model()
    name = get_catalog().get(recommended).display_name
    if draft.model_id == "local-preview" and registry.is_stand_in(recommended):
        real = draft.with_model(recommended).estimate
        st.caption(
            f":material/info: No video provider is configured, so only the free local preview will render. "
            f"With {name} the same plan would cost {usd(real)}, once a provider is set (see Settings & health)."
        )
    elif registry.is_stand_in(draft.model_id):
        st.caption(
            ":material/info: No video provider is configured: the free local preview renders these scenes for $0. "
            "The estimate above is what this model will cost once a provider is set."
        )


def _story(draft: NovelaDraft) -> None:
    with st.expander(f"Characters ({len(draft.characters)})", expanded=True):
        for character in draft.characters:
            st.markdown(f"**{plain(character['name'])}**")
            st.text(f"Look: {character['look']}\nVoice: {character['voice']}")
    with st.expander(f"Episode outlines ({len(draft.outlines)})"):
        for outline in draft.outlines:
            st.markdown(f"**Episode {outline['number']}: {plain(outline['title'])}**")
            st.text(outline["outline"] + "\n" + "\n".join(f"{i}. {b}" for i, b in enumerate(outline["beats"], 1)))
    with st.expander(f"Episode 1 scenes ({len(draft.first_episode)})"):
        for number, scene in enumerate(draft.first_episode, start=1):
            st.markdown(
                f"**Scene {number}: {plain(scene['title'])}** · {scene['duration_s']} s · {plain(scene['camera'])}"
            )
            st.text(scene["prompt"])


def _create(draft: NovelaDraft, budget_text: str) -> None:
    try:
        novela = flows.create_novela(team_or_stop(), draft, validation.parse_budget(budget_text))
    except NovelaInvalid as exc:
        for message in exc.errors.values():
            st.error(message, icon=":material/warning:")
        return
    changed()
    st.session_state.pop(DRAFT, None)
    st.switch_page("pages/board.py", query_params={"novela": str(novela.id)})
