"""Media library: every generated, assembled or synced file, with filters, search, pagination and sync."""

from __future__ import annotations

import streamlit as st

from vsl.db.media_repo import MediaFilter
from vsl.media.library import sync_from_storage
from vsl.storage.base import StorageError
from vsl.ui import library
from vsl.ui.home_cards import novela_titles
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import said

runtime = get_runtime()
st.title("Media library")

novelas = novela_titles()
c1, c2, c3, c4 = st.columns([3, 1, 2, 1])
text = c1.text_input("Search", placeholder="title, prompt or file name", max_chars=200)
media_type = c2.selectbox("Type", [None, "video", "image", "audio"], format_func=lambda t: t or "all")
novela_id = c3.selectbox("Novela", [None, *novelas], format_func=lambda i: novelas.get(i, "all novelas"))
page_size = c4.selectbox("Per page", [12, 24, 48, 96], index=1)
video = st.query_params.get("video")
f = MediaFilter(
    media_type=media_type,
    novela_id=novela_id,
    text=text,
    video_id=int(video) if video and video.isdigit() else None,
)

where = "bucket" if runtime.storage.mode == "s3" else "media folder"
if st.button(f"Sync from {where}", icon=":material/sync:"):
    bar = st.progress(0.0, text="Listing…")
    try:
        report = sync_from_storage(
            runtime.db,
            runtime.storage,
            lambda r: bar.progress(
                min(0.95, r.scanned / (r.scanned + 500)),
                text=f"{r.scanned} objects scanned, {r.imported} imported",
            ),
        )
    except StorageError as exc:
        st.error(said(exc))
    else:
        bar.progress(1.0, text=f"Done: {report.scanned} scanned, {report.imported} new, {report.skipped} skipped")
        changed()

items, total = library.page_of(f, 0, 0)
pages = max(1, -(-total // page_size))
page = st.number_input(f"Page (of {pages})", 1, pages, 1) if pages > 1 else 1
items, total = library.page_of(f, (page - 1) * page_size, page_size)
st.caption(f"{total} item{'s' if total != 1 else ''}" + (" for this take" if f.video_id else ""))
if not items:
    st.info(
        "Nothing here yet. Generated scenes and assembled episodes appear here; "
        "files already in the bucket come in with Sync."
    )
library.show_pending_delete()
library.tiles(items)
