"""Processing board widgets: the scene grid (live while jobs run), scene cards, totals and the spend chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from vsl.agents import flows
from vsl.agents.auto_review import awaiting
from vsl.agents.team import Team
from vsl.cast import overview
from vsl.cast.overview import SceneView
from vsl.catalog import PlanInput, PricingError, estimate_plan, get_catalog
from vsl.db import video_repo
from vsl.db.models import Novela, NovelaVideo
from vsl.jobs import actions
from vsl.jobs.actions import Target
from vsl.jobs.assembly import MissingScenes
from vsl.jobs.states import ACTIVE, HOLDS_MONEY, LABELS, JobStatus
from vsl.money import ZERO, to_cents, usd
from vsl.novelas import service
from vsl.novelas.service import NovelaNotFound
from vsl.novelas.validation import NovelaInvalid, parse_budget
from vsl.providers.base import PROVIDER_PAGE
from vsl.providers.registry import PROVIDER_LABELS
from vsl.sound import scenes
from vsl.storage.base import StorageError
from vsl.ui import agents, auto_review, cast_scenes, dialogs, sound, spend
from vsl.ui.runtime import changed, get_runtime, server_started
from vsl.ui.widgets import plain, said, status_badge

LIVE_EVERY_S = 2
CROSSFADE_S = 0.5
MISSING_LABELS: dict[MissingScenes, str] = {
    "stop": "Stop and say which",
    "skip": "Leave them out",
    "placeholder": "A title card in their place",
}


def scenes_by_number(takes: list[NovelaVideo]) -> dict[int, list[NovelaVideo]]:
    grouped: dict[int, list[NovelaVideo]] = defaultdict(list)
    for take in takes:
        grouped[take.scene_number].append(take)
    return dict(sorted(grouped.items()))


def load_episode(novela_id: int, episode: int) -> list[NovelaVideo]:
    with get_runtime().db.session() as session:
        return video_repo.episode_takes(session, novela_id, episode)


def any_active(takes: list[NovelaVideo]) -> bool:
    return any(JobStatus(t.status) in ACTIVE for t in takes)


def _live(takes: list[NovelaVideo]) -> bool:
    """A job in flight, or an automatic review still to come (docs/adr/0010-automatic-review.md)."""
    return any_active(takes) or awaiting(get_runtime().db, [t.id for t in takes])


def scene_grid(novela: Novela, episode: int, resumed: frozenset[int] = frozenset()) -> None:
    """The episode's scenes; refreshes itself every few seconds only while a job (or a review) is under way."""
    loaded = [load_episode(novela.id, episode)]  # this run's read; the fragment's own reruns read again
    live = _live(loaded[0])

    @st.fragment(run_every=LIVE_EVERY_S if live else None)
    def grid() -> None:
        takes = loaded.pop() if loaded else load_episode(novela.id, episode)
        if live and not _live(takes):
            changed()
            st.rerun(scope="app")  # all done: refresh totals once and stop polling
        views = overview.scenes_for(get_runtime().db, takes)  # every card's cast and frames, read once (issue 12)
        columns = st.columns(3)
        for i, (scene, scene_takes) in enumerate(scenes_by_number(takes).items()):
            with columns[i % 3]:
                scene_card(novela, scene, scene_takes, views, resumed)

    grid()


def scene_card(
    novela: Novela,
    scene: int,
    takes: list[NovelaVideo],
    views: dict[int, SceneView],  # take id → its scene view (overview.scenes_for)
    resumed: frozenset[int] = frozenset(),
) -> None:
    with st.container(border=True):
        st.markdown(f"**S{scene} · {plain(takes[-1].title) or 'Untitled'}**")
        take = _shown_take(scene, takes)
        badge = ":orange-badge[Needs a new take]" if _video_deleted(take) else status_badge(take.status)
        st.markdown(f"{badge} take {take.take}/{len(takes)}")
        cast_scenes.cast_line(views[take.id])  # who is in it, its keyframe, chaining (issue 9)
        if JobStatus(take.status) in ACTIVE:
            st.progress(take.progress / 100, text=f"{take.progress}% · {_where(take, resumed)}")
        _media(take)
        _costs(take)
        _failure(take)
        _prompt(take)
        sound.scene_sound(take)
        _actions(novela, take)


def _where(take: NovelaVideo, resumed: frozenset[int]) -> str:
    if take.id in resumed:
        return "resuming after the restart"
    if take.status == JobStatus.RESERVED and (take.scene_details or {}).get("chain"):
        return "chained: starts when the previous scene is done"
    return PROVIDER_LABELS.get(take.provider or "", "")


def _prompt(take: NovelaVideo) -> None:
    with st.expander("Prompt", expanded=take.status == JobStatus.PLANNED and not take.created_by_agent):
        if take.status != JobStatus.PLANNED:
            st.text(take.script_prompt)
            return
        prompt = st.text_area("Prompt", take.script_prompt, key=f"prompt_{take.id}", label_visibility="collapsed")
        if prompt != take.script_prompt and st.button("Save prompt", key=f"save_{take.id}"):
            try:
                service.revise_planned_take(get_runtime().db, take.id, prompt)
            except (NovelaInvalid, NovelaNotFound) as exc:
                st.error(said(exc))
                return
            _after("Prompt saved.")


def _shown_take(scene: int, takes: list[NovelaVideo]) -> NovelaVideo:
    if len(takes) == 1:
        return takes[0]
    numbers = [t.take for t in takes]
    chosen = st.selectbox(
        "Take",
        numbers,
        index=len(numbers) - 1,
        format_func=lambda n: f"Take {n} ({LABELS[JobStatus(takes[n - 1].status)].lower()})",
        key=f"take_pick_{takes[0].novela_id}_{takes[0].episode_number}_{scene}",
    )
    return next(t for t in takes if t.take == chosen)


def _video_deleted(take: NovelaVideo) -> bool:
    """A finished take whose video was deleted from the media library since."""
    return take.status == JobStatus.COMPLETED and not take.s3_key


def _media(take: NovelaVideo) -> None:
    if _video_deleted(take):
        st.warning("This take's video was deleted from the media library: make a new take with Regenerate.")
    elif take.status == JobStatus.COMPLETED and take.s3_key:
        try:
            st.video(get_runtime().storage.playback_source(take.s3_key))
        except StorageError as exc:  # removed from the bucket or the folder outside the studio
            st.warning(f"This take's video cannot be played ({said(exc)}); make a new take with Regenerate.")


def _costs(take: NovelaVideo) -> None:
    actual = usd(take.actual_cost) if take.actual_cost is not None else "—"
    st.caption(f"Estimated {usd(take.estimated_cost)} · actual {actual}")
    page = str((take.scene_details or {}).get(PROVIDER_PAGE) or "")
    if page.startswith("https://") and take.provider in PROVIDER_LABELS:
        st.link_button(f"Open at {PROVIDER_LABELS[take.provider]}", page, icon=":material/open_in_new:")


def _failure(take: NovelaVideo) -> None:
    if take.status == JobStatus.FAILED:
        provider = PROVIDER_LABELS.get(take.failure_provider or "", take.failure_provider or "the app")
        message = plain(said(take.failure_message or ""))
        st.error(f"{(take.failure_stage or 'generation').title()} failed at {provider}: {message}")
        # a link, not switch_page: this runs inside the live fragment
        st.page_link(
            "pages/chat.py",
            label="Ask the agents about this failure",
            icon=":material/chat:",
            query_params={"video": str(take.id)},
        )
    if take.status == JobStatus.NEEDS_ATTENTION:
        st.warning(
            "The provider may or may not have accepted this job. Resubmitting uses the same request id "
            "(the VSL Lambda API then returns the same job, without a second charge)."
        )
        c1, c2 = st.columns(2)
        if c1.button("Resubmit", key=f"resubmit_{take.id}", width="stretch"):
            _after(actions.retry_submission(get_runtime().db, take.id))
        if c2.button("Mark failed", key=f"giveup_{take.id}", width="stretch"):
            _after(actions.give_up(get_runtime().db, take.id))


def _actions(novela: Novela, take: NovelaVideo) -> None:
    status = JobStatus(take.status)
    c1, c2 = st.columns(2)
    if status == JobStatus.PLANNED and c1.button("Generate", key=f"gen_{take.id}", type="primary", width="stretch"):
        spend.ask([Target(take.id)], f"Generate E{take.episode_number} S{take.scene_number}")
    if status in {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}:
        key = f"regen_pop_{take.id}"
        with c1.popover("Regenerate", width="stretch", key=key, on_change="rerun") as popover:
            if popover.open or st.session_state.pop(f"{key}_pressed", False):  # lazy: only open (or acting)
                _regenerate(take)
    if status in HOLDS_MONEY and c2.button("Cancel", key=f"cancel_{take.id}", width="stretch"):
        runtime = get_runtime()
        _after(actions.cancel(runtime.db, runtime.registry, take.id))
    if status == JobStatus.COMPLETED:
        c2.page_link(
            "pages/library.py",
            label="In library",
            icon=":material/video_library:",
            query_params={"video": str(take.id)},
        )


def _regenerate(take: NovelaVideo) -> None:
    """A new take (the old one is kept): with your own prompt, or revised by the agents from your feedback."""
    prompt = st.text_area("Prompt for the new take", take.script_prompt, key=f"regen_p_{take.id}")
    close = {"on_click": _close_popover, "args": (f"regen_pop_{take.id}",)}  # the dialog that follows must be on top
    if st.button("Price the new take", key=f"regen_{take.id}", width="stretch", **close):
        spend.ask(
            [Target(take.id, "new_take", prompt=prompt)],
            f"New take of E{take.episode_number} S{take.scene_number} (the old one is kept)",
        )
    feedback = st.text_input("…or tell the agents what to change", key=f"regen_f_{take.id}", max_chars=2000)
    if st.button("Revise with the agents", key=f"regen_a_{take.id}", width="stretch", disabled=not feedback, **close):
        run_flow(lambda team: flows.regenerate(team, take.id, feedback))


def _close_popover(key: str) -> None:
    """Close the popover whose button was pressed; its content still runs this once, to act on the press."""
    st.session_state[key] = False
    st.session_state[f"{key}_pressed"] = True


def run_flow(flow: Callable[[Team], flows.Proposal]) -> None:
    """Run an agent flow and show its proposal for confirmation; agent errors are shown, never hidden."""
    team = agents.team_or_stop()
    try:
        with st.spinner("The agents are drafting…"):
            agents.keep_proposal(flow(team))
    except agents.AGENT_ERRORS as exc:
        agents.show_agent_error(exc)
        return
    st.rerun()


def _after(message: str) -> None:
    changed()
    st.toast(message)
    st.rerun()


def totals(novela: Novela) -> None:
    note = estimate_note(novela)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Plan estimate", usd(novela.estimated_cost), help=note)
    c2.metric("Spent", usd(novela.total_cost))
    c3.metric("Reserved", usd(novela.reserved_cost))
    left = "no budget" if novela.budget is None else usd(novela.budget - novela.total_cost - novela.reserved_cost)
    c4.metric("Budget left", left)
    if note:
        st.caption(f":material/info: {note}")


def estimate_note(novela: Novela) -> str | None:
    """Why the plan estimate differs from what generating the scenes here will charge; None when it does not."""
    runtime = get_runtime()
    try:
        parts = estimate_plan(
            PlanInput(
                model_id=novela.default_model_id,
                params=novela.default_parameters,
                episodes=novela.target_episodes,
                scenes_per_episode=novela.scenes_per_episode,
            )
        ).breakdown
    except (PricingError, KeyError, ValueError):
        return None
    notes = []
    if runtime.registry.is_stand_in(novela.default_model_id):
        notes.append(
            f"The plan estimate prices the videos at {get_catalog().get(novela.default_model_id).display_name}'s "
            "rate; with no video provider configured the free local preview renders them, so they cost $0 here."
        )
    elif parts["video"] == ZERO:
        notes.append("The local preview renders the videos for free.")
    if parts["gpt5"] > ZERO:
        offline = "" if runtime.settings.openai_api_key else " (nothing while the agents run offline)"
        notes.append(f"{usd(parts['gpt5'])} of the estimate is the GPT-5 agents' writing{offline}.")
    return " ".join(notes) or None


def spend_chart(points: list[tuple[Any, Any]]) -> None:
    """The running total of actual costs; nothing at all while nothing has cost money."""
    if not any(cost for _, cost in points):
        return
    running, xs, ys = ZERO, [], []
    for when, cost in points:
        running += cost
        xs.append(when)
        ys.append(float(to_cents(running)))
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", line_shape="hv", name="spent"))
    fig.update_layout(height=220, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="Spend over time (USD)")
    st.plotly_chart(fig, width="stretch")


def episode_actions(novela: Novela, episode: int) -> None:
    """The episode's actions in one row that wraps on a narrow screen (labels are never cut off)."""
    db = get_runtime().db
    rest = actions.targets_rest_of_episode(db, novela.id, episode)
    failed = actions.targets_retry_failed(db, novela.id, episode)
    with st.container(horizontal=True):
        agent = st.button("Agents: next scene", icon=":material/auto_awesome:", disabled=not rest,
                          help="The agents write and check the next scene; you confirm its price.")  # fmt: skip
        one = st.button("Next scene", icon=":material/play_arrow:", disabled=not rest)
        many = st.button(f"Rest of episode ({len(rest)})", icon=":material/fast_forward:", disabled=not rest,
                         help="Every scene still to make, canceled ones included.")  # fmt: skip
        retry = st.button(f"Retry failed ({len(failed)})", icon=":material/replay:", disabled=not failed,
                          help="A new take of every scene whose latest take failed or was canceled.")  # fmt: skip
        _assemble_control(novela, episode, len(rest))
    if agent:
        run_flow(lambda team: flows.next_scene(team, novela.id))
    if one:
        spend.ask(rest[:1], f"Generate the next scene of episode {episode}")
    if many:
        spend.ask(rest, f"Generate the remaining {len(rest)} scene(s) of episode {episode}")
    if retry:
        spend.ask(failed, f"Retry {len(failed)} failed or canceled scene(s) of episode {episode} as new takes")


def _assemble_control(novela: Novela, episode: int, to_make: int) -> None:
    """Assemble the episode; the user says what to do with scenes that have no finished take yet."""
    key = f"{novela.id}_{episode}"
    with st.popover("Assemble episode", icon=":material/movie_edit:"):
        missing = st.radio("Scenes with no finished take", list(MISSING_LABELS), format_func=MISSING_LABELS.get,
                           key=f"missing_{key}")  # fmt: skip
        crossfade = st.toggle("Short crossfade between scenes", key=f"crossfade_{key}")
        go = st.button("Assemble", type="primary", icon=":material/movie_edit:", key=f"assemble_{key}")
    if go:
        then = f" “Rest of episode ({to_make})” makes them." if to_make else ""
        sound.assemble(novela.id, episode, missing, CROSSFADE_S if crossfade else 0.0, hint=then)


def whole_episode(novela: Novela, episode: int) -> None:
    """The assembled episode, to play on the board with its subtitles."""
    runtime = get_runtime()
    files = scenes.assembled(runtime.db, novela.id, episode)
    if files is None:
        return
    cut = files.item
    length = f" ({cut.duration_seconds:.0f} s)" if cut.duration_seconds else ""
    with st.expander(f"Play the whole episode {episode}{length}", icon=":material/smart_display:", expanded=True):
        try:
            vtt = runtime.storage.get_bytes(files.vtt_key).decode("utf-8") if files.vtt_key else None
            st.video(runtime.storage.playback_source(cut.s3_key), subtitles={"Subtitles": vtt} if vtt else None)
        except StorageError as exc:
            st.warning(f"The assembled episode cannot be played ({said(exc)}); assemble it again.")
        st.caption(plain(cut.description))


def restart_notice(novela: Novela) -> frozenset[int]:
    """Say that the studio restarted and which takes, in flight before, it is resuming; return their ids."""
    runtime = get_runtime()
    started = server_started()
    with runtime.db.session() as session:
        resumed = video_repo.in_flight_since_before(session, novela.id, [str(s) for s in ACTIVE], started)
    if not resumed:
        return frozenset()
    names = ", ".join(
        f"E{t.episode_number} S{t.scene_number} take {t.take} ({LABELS[JobStatus(t.status)].lower()})" for t in resumed
    )
    who = "is resuming" if runtime.worker_running else "will resume (once a worker runs: `make worker`)"
    st.info(
        f"The studio restarted at {started:%H:%M} UTC and {who} the takes that were in flight: {names}. "
        "Nothing is submitted or charged twice.",
        icon=":material/restart_alt:",
    )
    return frozenset(t.id for t in resumed)


def manage(novela: Novela) -> None:
    """Status, budget, automatic review and deletion of the novela, tucked away under the totals."""
    with st.expander("Novela settings"):
        moves = sorted(service.STATUS_MOVES.get(novela.status, frozenset()))
        st.caption(f"Status: {novela.status.replace('_', ' ')}")
        for column, target in zip(st.columns(max(1, len(moves))), moves, strict=False):
            if column.button(target.replace("_", " ").capitalize(), key=f"status_{target}", width="stretch"):
                _after(_try(lambda t=target: service.set_status(get_runtime().db, novela.id, t), "Status changed."))
        budget = st.text_input("Budget in USD (empty = no budget)", "" if novela.budget is None else str(novela.budget))
        if st.button("Save budget"):
            _after(
                _try(lambda: service.update(get_runtime().db, novela.id, budget=parse_budget(budget)), "Budget saved.")
            )
        auto_review.control(novela)
        if st.button("Delete this novela…", icon=":material/delete:"):
            dialogs.request(DELETE_NOVELA, novela.id)


def _try(action: Callable[[], object], done: str) -> str:
    try:
        action()
    except (NovelaInvalid, service.IllegalNovelaStatus, NovelaNotFound) as exc:
        return said(exc)
    return done


DELETE_NOVELA = "delete_novela"


def show_pending_delete(novela: Novela) -> None:
    if dialogs.pending(DELETE_NOVELA) == novela.id:
        _confirm_delete(novela)


@st.dialog("Delete novela?", on_dismiss=dialogs.forgetter(DELETE_NOVELA))
def _confirm_delete(novela: Novela) -> None:
    runtime = get_runtime()
    files = service.media_count(runtime.db, novela.id)
    st.write(f"This deletes **{plain(novela.title)}**, its scenes and their history.")
    choice = "keep"
    if files:
        choice = st.radio(
            f"It has {files} media file(s) in the library:",
            ["keep", "delete"],
            format_func={"keep": "Keep them in the library", "delete": "Delete them too (files included)"}.get,
        )
    if st.button("Delete for good", type="primary"):
        try:
            service.delete_novela(runtime.db, novela.id, choice, runtime.storage)
        except (service.NovelaBusy, StorageError) as exc:
            st.error(said(exc))
            return
        dialogs.forget(DELETE_NOVELA)
        changed()
        st.query_params.clear()
        st.switch_page("pages/home.py")
