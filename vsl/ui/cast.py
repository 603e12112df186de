"""The Cast page's asset part: characters, locations and props, their reference images and candidates."""

from __future__ import annotations

import streamlit as st

from vsl.cast import images, overview, service
from vsl.cast.names import KINDS, BadAsset, spoken
from vsl.cast.overview import AssetView
from vsl.db.models import Novela
from vsl.jobs.actions import Target
from vsl.novelas.references import BadReferenceImage
from vsl.storage.base import StorageError
from vsl.ui import spend
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain

FLAGS = "_vsl_cast_flags"


def cast_section(novela: Novela) -> None:
    runtime = get_runtime()
    if service.import_wizard_characters(runtime.db, novela.id):
        changed()
    _flags()
    _add_form(novela)
    views = overview.assets(runtime.db, novela.id)
    if not views:
        st.info("No cast yet: add a character, a location or a prop above.")
    columns = st.columns(3)
    for i, view in enumerate(views):
        with columns[i % 3]:
            asset_card(view)


def _flags() -> None:
    for note in st.session_state.pop(FLAGS, []):
        st.warning(plain(note))


def _add_form(novela: Novela) -> None:
    with st.form("add_asset", clear_on_submit=True, border=True):
        kind, name = st.columns([1, 2])
        chosen = kind.selectbox("Kind", KINDS)
        typed = name.text_input("Name", placeholder="Isabel or Casa_Grande (one word; written @Name in prompts)")
        look = st.text_area("Look", placeholder="Face, age, hair, wardrobe; for a place: time of day, palette")
        if st.form_submit_button("Add to the cast", icon=":material/person_add:"):
            try:
                service.create_asset(get_runtime().db, novela.id, chosen, typed, look)
            except BadAsset as exc:
                st.error(str(exc))
                return
            changed()
            st.rerun()


def show_image(ref: str, caption: str) -> None:
    source = ref.removeprefix("media:")
    try:
        st.image(get_runtime().storage.playback_source(source) if ref.startswith("media:") else ref, caption=caption)
    except StorageError as exc:
        st.caption(f"image missing: {plain(str(exc))}")


def asset_card(view: AssetView) -> None:
    asset = view.asset
    with st.container(border=True):
        st.markdown(f"**@{plain(asset.name)}** · {asset.kind}")
        st.text(asset.look or "(no look description yet)")
        chosen = next((i for i in view.images if i.chosen), None)
        if chosen is not None:
            show_image(chosen.ref, "reference")
        others = [i for i in view.images if not i.chosen]
        if others:
            st.caption("Candidates")
            for column, image in zip(st.columns(min(3, len(others))), others[:3], strict=False):
                with column:
                    show_image(image.ref, f"#{image.id}")
                    if st.button("Use this", key=f"pick_{image.id}"):
                        service.choose_image(get_runtime().db, image.id)
                        changed()
                        st.rerun()
        if view.in_flight:
            st.caption(f":material/hourglass_top: {view.in_flight} image(s) being made…")
        _generate(view)
        _upload(view)
        _manage(view)


def _generate(view: AssetView) -> None:
    asset = view.asset
    model, count = st.columns([2, 1])
    model_id = model.selectbox("Image model", images.image_models(), key=f"model_{asset.id}")
    how_many = count.number_input("Candidates", 1, images.MAX_CANDIDATES, 2, key=f"count_{asset.id}")
    if st.button("Generate candidates", key=f"gen_{asset.id}", icon=":material/photo_camera:"):
        ids = images.plan_portraits(get_runtime().db, asset.id, model_id, int(how_many))
        spend.ask([Target(i) for i in ids], f"{int(how_many)} image(s) of {spoken(asset.name)}")


def _upload(view: AssetView) -> None:
    upload = st.file_uploader("Upload a reference", type=["png", "jpg", "jpeg", "webp"], key=f"up_{view.asset.id}")
    if upload is not None and st.button("Add this image", key=f"add_{view.asset.id}"):
        try:
            service.add_upload(get_runtime().db, get_runtime().storage, view.asset.id, upload.name, upload.getvalue())
        except (BadReferenceImage, BadAsset) as exc:
            st.error(str(exc))
            return
        changed()
        st.rerun()


def _manage(view: AssetView) -> None:
    asset = view.asset
    with st.expander("Rename or delete"):
        new = st.text_input("New name", value=asset.name, key=f"rename_{asset.id}")
        left, right = st.columns(2)
        try:
            if left.button("Rename", key=f"do_rename_{asset.id}") and new != asset.name:
                _flagged(service.rename_asset(get_runtime().db, asset.id, new))
            if right.button("Delete", key=f"delete_{asset.id}", type="secondary"):
                _flagged(service.delete_asset(get_runtime().db, asset.id))
        except BadAsset as exc:
            st.error(str(exc))


def _flagged(flags: list[service.Flagged]) -> None:
    st.session_state[FLAGS] = [f"{f.label}: {f.note}" for f in flags]
    changed()
    st.rerun()
