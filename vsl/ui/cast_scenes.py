"""The Cast page's scene part: who is in each scene, keyframes, chaining, continuity review and its fix."""

from __future__ import annotations

import streamlit as st

from vsl.agents.continuity import review_with_gpt5
from vsl.agents.llm import LlmClient
from vsl.cast import images, keyframes, overview, review
from vsl.cast.images import BadAsset
from vsl.cast.names import spoken
from vsl.cast.overview import SceneView
from vsl.cast.prompts import end_needs_start, no_end_frame, takes_last_frame
from vsl.db.models import Keyframe, Novela, NovelaVideo, Review
from vsl.jobs.actions import Target
from vsl.money import usd
from vsl.ui import auto_review, spend
from vsl.ui.cast import show_image
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain, status_badge


def scenes_section(novela: Novela, episode: int) -> None:
    for view in overview.scenes(get_runtime().db, novela.id, episode):
        scene_row(view)


def cast_line(view: SceneView) -> None:
    """One caption for the board's scene card: who is in it, its keyframe, whether it is chained."""
    parts = [f"With {', '.join(spoken(n) for n in view.cast)}" if view.cast else "No cast named"]
    if view.start_frame is not None:
        parts.append("start frame ✓")
    if view.end_frame is not None:
        parts.append("end frame ✓")
    if view.chained:
        parts.append("chained (previous take changed)" if view.stale else "chained")
    if said := auto_review.note(view.review):
        parts.append(said)
    st.caption(plain(" · ".join(parts)))
    if view.start_frame is not None and view.start_frame.ref:
        show_image(view.start_frame.ref, "keyframe")


def scene_row(view: SceneView) -> None:
    take = view.take
    with st.container(border=True):
        st.markdown(f"**S{take.scene_number} · {plain(take.title)}** {status_badge(take.status)} take {take.take}")
        st.caption(plain("Cast: " + (", ".join(spoken(n) for n in view.cast) or "none named")))
        frame, video = st.columns(2)
        with frame:
            _frames(view)
        with video:
            if take.status == "completed" and take.s3_key:
                st.video(get_runtime().storage.playback_source(take.s3_key))
            if view.stale:
                st.warning("Started from a take of the previous scene that is no longer the chosen one.")
        _review(view)


def _frames(view: SceneView) -> None:
    take = view.take
    _frame(view.start_frame, view.pending_frame, "start frame")
    _frame(view.end_frame, view.pending_end_frame, "end frame")
    notes = [take.scene_details.get(k) for k in ("cast_left_out", "end_frame_note", "chain_note")]
    if take.status != "planned" and any(notes):
        st.caption(plain("Sent with notes: " + "; ".join(n for n in notes if n)))
    if take.status != "planned":
        return
    chain = st.toggle(
        "Continue from the previous scene", value=bool(take.scene_details.get("chain")), key=f"chain_{take.id}"
    )
    if chain != bool(take.scene_details.get("chain")):
        keyframes.set_chain(get_runtime().db, take.id, chain)
        changed()
        st.rerun()
    model = st.selectbox("Keyframe model", images.image_models(), key=f"kf_model_{take.id}")
    if st.button("Generate start frame", key=f"kf_{take.id}", icon=":material/image:"):
        _generate(take, model, "start")
    if not takes_last_frame(take.model_id):
        st.caption(plain(no_end_frame(take.model_id)))
        return
    if st.button("Generate end frame", key=f"kf_end_{take.id}", icon=":material/image:"):
        _generate(take, model, "end")
    if view.end_frame is not None and view.start_frame is None and not chain and end_needs_start(take.model_id):
        st.warning(
            "This model ends on the approved end frame only when the take also starts from a frame: generate a "
            "start frame or continue from the previous scene, or the take is made without its end frame."
        )


def _frame(approved: Keyframe | None, pending: Keyframe | None, label: str) -> None:
    """The scene's approved frame at one position, and the latest proposal waiting for approval."""
    if approved is not None and approved.ref:
        show_image(approved.ref, label)
    if pending is not None and pending.ref:
        show_image(pending.ref, f"proposed {label}")
        if st.button("Approve this frame", key=f"approve_{pending.id}", help=f"Use it as the scene's {label}"):
            images.approve_keyframe(get_runtime().db, pending.id)
            changed()
            st.rerun()


def _generate(take: NovelaVideo, model: str, position: str) -> None:
    try:
        job = images.plan_keyframe(get_runtime().db, take.id, model, position)
    except BadAsset as exc:
        st.error(str(exc))
        return
    spend.ask([Target(job)], f"{position.capitalize()} frame of E{take.episode_number} S{take.scene_number}")


def _review(view: SceneView) -> None:
    take = view.take
    if take.status != "completed":
        return
    runtime = get_runtime()
    online = bool(runtime.settings.openai_api_key)
    label = (
        f"Review continuity (GPT-5, about {usd(review.estimate(len(view.cast)))})"
        if online
        else ("Review continuity (offline colour measure, $0)")
    )
    if st.button(label, key=f"review_{take.id}", icon=":material/fact_check:"):
        with st.spinner("Reviewing the take…"):
            try:
                if online:
                    client = LlmClient.from_settings(runtime.settings, runtime.db)
                    review_with_gpt5(runtime.db, runtime.storage, client, take.id)
                else:
                    review.review_offline(runtime.db, runtime.storage, take.id)
            except review.ReviewUnavailable as exc:
                st.error(str(exc))
                return
        changed()
        st.rerun()
    if view.review is not None:
        verdict(view.review, take)


def verdict(result: Review, take: NovelaVideo) -> None:
    who = "GPT-5" if result.method == "gpt-5" else review.OFFLINE_LABEL
    if result.status == "reviewing":
        st.info(f"Reviewing automatically ({who})…")
        return
    if result.status in ("failed", "skipped"):
        shown = st.error if result.status == "failed" else st.info
        shown(f"Review {result.status} ({who}): {plain(result.error)}")
        return
    colour = "green" if result.status == "consistent" else "orange"
    st.markdown(f":{colour}-badge[{result.status}] score {result.score}/100 · {plain(who)} · {usd(result.cost_usd)}")
    for member in result.verdict.get("members", []):
        drift = ", ".join(member.get("drift", [])) or "none"
        detail = f"match {member['match']}" if "match" in member else f"drift: {drift}"
        st.caption(plain(f"{spoken(str(member.get('name', '')))}: {detail}"))
    if result.status == "drifted" and result.fix_prompt:
        st.text(f"Proposed fix: {result.fix_prompt}")
        if st.button("Regenerate with the fix", key=f"fix_{result.id}", icon=":material/auto_fix_high:"):
            prompt = f"{take.script_prompt} {result.fix_prompt}".strip()
            spend.ask(
                [Target(take.id, "new_take", prompt=prompt)],
                f"New take of E{take.episode_number} S{take.scene_number} with the fix",
            )
