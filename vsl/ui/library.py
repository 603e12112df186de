"""Media library widgets: cached page reads, tiles, preview and the delete confirmation."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from vsl.db import media_repo, novela_repo, video_repo
from vsl.db.media_repo import MediaFilter
from vsl.db.models import MediaItem
from vsl.jobs.assembly import chosen_takes
from vsl.media.library import MediaNotFound, delete_item
from vsl.storage.base import Storage, StorageError
from vsl.ui import dialogs
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain, said


@dataclass(frozen=True)
class TakeUse:
    """What a library clip is to the board: take `take` of a scene, maybe the one its episode uses."""

    episode: int
    scene: int
    take: int
    chosen: bool  # the take the episode's assembly uses
    fallback: int | None  # the scene's finished take used instead once this one is deleted; None: a new take


def take_use(item: MediaItem) -> TakeUse | None:
    """The take whose video `item` is, or None for a clip that is no scene's take (an episode, a synced file)."""
    with get_runtime().db.session() as session:
        take = video_repo.get(session, item.video_id) if item.video_id else None
        if take is None or take.s3_key != item.s3_key:
            return None
        novela = novela_repo.get(session, take.novela_id)
        cut = chosen_takes(session, take.novela_id, take.episode_number, novela.scenes_per_episode if novela else 0)
        others = [
            t.take
            for t in video_repo.scene_takes(session, take.novela_id, take.episode_number, take.scene_number)
            if t.id != take.id and t.status == "completed" and t.s3_key
        ]
    chosen = any(v.id == take.id for v in cut.scenes)
    fallback = max(others) if others else None
    return TakeUse(take.episode_number, take.scene_number, take.take, chosen, fallback)


ICONS = {"video": ":material/movie:", "image": ":material/image:", "audio": ":material/graphic_eq:"}


@st.cache_data(ttl=10, show_spinner=False)
def page_of(f: MediaFilter, offset: int, limit: int) -> tuple[list[MediaItem], int]:
    with get_runtime().db.session() as session:
        return media_repo.search(session, f, offset=offset, limit=limit)


@st.cache_data(ttl=10, show_spinner=False)
def _take_numbers(video_ids: tuple[int, ...]) -> dict[int, int]:
    with get_runtime().db.session() as session:
        return video_repo.take_numbers(session, video_ids)


def tiles(items: list[MediaItem], per_row: int = 4) -> None:
    """The items in a grid; a scene's clip says which take it is, so two takes of a scene tell apart."""
    takes = _take_numbers(tuple(i.video_id for i in items if i.video_id))
    columns = st.columns(per_row)
    for i, item in enumerate(items):
        with columns[i % per_row]:
            tile(item, takes.get(item.video_id or 0))


def tile(item: MediaItem, take: int | None = None) -> None:
    storage = get_runtime().storage
    with st.container(border=True):
        if not _thumbnail(storage, item):
            st.markdown(f"## {ICONS.get(item.media_type, ':material/draft:')}")
        st.markdown(f"**{plain(item.title or item.s3_key)}**" + (f" · take {take}" if take else ""))
        where = f"E{item.episode_number} S{item.scene_number} · " if item.scene_number else ""
        size = f"{item.file_size_bytes / 1e6:.1f} MB" if item.file_size_bytes else "size unknown"
        duration = f" · {item.duration_seconds:.1f} s" if item.duration_seconds else ""
        st.caption(f"{item.media_type} · {where}{item.created_at:%Y-%m-%d %H:%M} · {size}{duration} · {item.source}")
        c1, c2 = st.columns(2)
        if c1.button("Preview", key=f"pv_{item.id}", width="stretch"):
            preview(item)
        if c2.button("Delete", key=f"del_{item.id}", width="stretch"):
            dialogs.request(DELETE_MEDIA, item.id)


def _thumbnail(storage: Storage, item: MediaItem) -> bool:
    """Show the item's thumbnail; False when it has none or it cannot be read (a missing or broken file)."""
    if not item.thumbnail_key:
        return False
    try:
        st.image(storage.playback_source(item.thumbnail_key), width="stretch")
    except (StorageError, OSError):  # PIL's UnidentifiedImageError is an OSError
        return False
    return True


@st.dialog("Preview", width="large")
def preview(item: MediaItem) -> None:
    storage = get_runtime().storage
    source = storage.playback_source(item.s3_key)
    {"video": st.video, "image": st.image, "audio": st.audio}.get(item.media_type, st.write)(source)
    st.text(item.description or "")
    if storage.mode == "s3":
        st.link_button("Download", source)
    else:
        try:
            data = storage.get_bytes(item.s3_key)
        except StorageError as exc:
            st.error(said(exc))
            return
        st.download_button("Download", data, file_name=item.s3_key.rsplit("/", 1)[-1], mime=item.content_type)


def _take_warning(use: TakeUse) -> str:
    scene = f"scene {use.scene} of episode {use.episode}"
    if not use.chosen:
        return f"This clip is take {use.take} of {scene}; the episode uses another take, so nothing else changes."
    after = (
        f"the episode then uses take {use.fallback} instead."
        if use.fallback
        else "that scene then needs a new take before the episode can be assembled."
    )
    return f"This clip is take {use.take} of {scene}, the take the episode uses: {after}"


DELETE_MEDIA = "delete_media"


def show_pending_delete() -> None:
    item_id = dialogs.pending(DELETE_MEDIA)
    if item_id is None:
        return
    with get_runtime().db.session() as session:
        item = media_repo.get(session, item_id)
    if item is None:
        dialogs.forget(DELETE_MEDIA)
        return
    _confirm_delete(item)


@st.dialog("Delete media?", on_dismiss=dialogs.forgetter(DELETE_MEDIA))
def _confirm_delete(item: MediaItem) -> None:
    st.write(
        f"This deletes **{plain(item.title or item.s3_key)}**: the file"
        f"{' in the S3 bucket' if get_runtime().storage.mode == 's3' else ''}, its thumbnail and its library row."
    )
    use = take_use(item)
    if use is not None:
        st.warning(_take_warning(use), icon=":material/warning:")
    if st.button("Delete for good", type="primary"):
        runtime = get_runtime()
        try:
            message = delete_item(runtime.db, runtime.storage, item.id)
        except (MediaNotFound, StorageError) as exc:
            st.error(said(exc))
            return
        dialogs.forget(DELETE_MEDIA)
        changed()
        st.toast(message)
        st.rerun()
