"""Media library widgets: cached page reads, tiles, preview and the delete confirmation."""

from __future__ import annotations

import streamlit as st

from vsl.db import media_repo
from vsl.db.media_repo import MediaFilter
from vsl.db.models import MediaItem
from vsl.media.library import MediaNotFound, delete_item
from vsl.storage.base import Storage, StorageError
from vsl.ui import dialogs
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain

ICONS = {"video": ":material/movie:", "image": ":material/image:", "audio": ":material/graphic_eq:"}


@st.cache_data(ttl=10, show_spinner=False)
def page_of(f: MediaFilter, offset: int, limit: int) -> tuple[list[MediaItem], int]:
    with get_runtime().db.session() as session:
        return media_repo.search(session, f, offset=offset, limit=limit)


def tile(item: MediaItem) -> None:
    storage = get_runtime().storage
    with st.container(border=True):
        if not _thumbnail(storage, item):
            st.markdown(f"## {ICONS.get(item.media_type, ':material/draft:')}")
        st.markdown(f"**{plain(item.title or item.s3_key)}**")
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
            st.error(str(exc))
            return
        st.download_button("Download", data, file_name=item.s3_key.rsplit("/", 1)[-1], mime=item.content_type)


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
    if st.button("Delete for good", type="primary"):
        runtime = get_runtime()
        try:
            message = delete_item(runtime.db, runtime.storage, item.id)
        except (MediaNotFound, StorageError) as exc:
            st.error(str(exc))
            return
        dialogs.forget(DELETE_MEDIA)
        changed()
        st.toast(message)
        st.rerun()
