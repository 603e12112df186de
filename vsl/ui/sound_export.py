"""Export on the board: the episode's files one by one, or the whole novela as a zip; subtitles burned in on
request; what is still missing is listed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from vsl.media import MediaError
from vsl.sound.export import NothingToExport, export_episode, export_novela
from vsl.storage.base import StorageError
from vsl.ui.runtime import get_runtime

MIME = {
    ".mp4": "video/mp4",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".txt": "text/plain",
    ".csv": "text/csv",
}


def export(novela_id: int, episode: int) -> None:
    """The board's export panel."""
    runtime = get_runtime()
    with st.expander("Export", icon=":material/download:"):
        burn = st.checkbox("Burn subtitles into the video", key=f"burn_{novela_id}")
        c1, c2 = st.columns(2)
        try:
            if c1.button(f"Export episode {episode}", key=f"export_ep_{novela_id}"):
                with tempfile.TemporaryDirectory(prefix="vsl-export-") as tmp, st.spinner("Preparing the files…"):
                    done = export_episode(runtime.db, runtime.storage, novela_id, episode, Path(tmp), burn_in=burn)
                    for note in done.missing:
                        st.warning(note)
                    for name, path in done.files.items():
                        st.download_button(
                            name, path.read_bytes(), name, MIME.get(path.suffix, "application/octet-stream")
                        )
            if c2.button("Export the novela (zip)", key=f"export_all_{novela_id}"):
                with tempfile.TemporaryDirectory(prefix="vsl-export-") as tmp, st.spinner("Zipping every episode…"):
                    archive, missing = export_novela(runtime.db, runtime.storage, novela_id, Path(tmp), burn_in=burn)
                    for note in missing:
                        st.warning(note)
                    st.download_button("novela.zip", archive.read_bytes(), "novela.zip", "application/zip")
        except (NothingToExport, MediaError, StorageError) as exc:
            st.error(str(exc))
