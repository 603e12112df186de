"""LocalStorage: the folder backend, its key rules (nothing may escape the folder) and atomic writes."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsl.config import load_settings
from vsl.storage.base import InvalidKey, StorageError
from vsl.storage.factory import make_storage
from vsl.storage.local import TEMP_PREFIX, LocalStorage

HOSTILE_KEYS = [
    "",
    "/etc/passwd",
    "//server/share",
    "..",
    ".",
    "../outside.txt",
    "a/../../outside.txt",
    "a/..",
    "./a.txt",
    "a//b.txt",
    "a/",
    "a\\b.txt",
    "..\\outside.txt",
    "C:\\Windows\\win.ini",
    "a\x00b",
    "a\nb",
    "a\rb",
    "tab\there",
    "del\x7f",
    "x" * 1025,
    f"a/{TEMP_PREFIX}123",
]


@pytest.fixture
def layout(tmp_path: Path) -> tuple[LocalStorage, Path]:
    """A media folder next to a folder holding a secret that no key may reach."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    return LocalStorage(tmp_path / "media"), outside


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_put_get_info_delete_roundtrip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    info = storage.put_bytes("novelas/1/scene-1.mp4", b"video-bytes", "video/mp4")

    assert (info.key, info.size, info.content_type) == ("novelas/1/scene-1.mp4", 11, "video/mp4")
    assert info.last_modified is not None
    assert storage.get_bytes("novelas/1/scene-1.mp4") == b"video-bytes"
    assert storage.exists("novelas/1/scene-1.mp4")
    assert storage.playback_source("novelas/1/scene-1.mp4") == str(tmp_path / "media/novelas/1/scene-1.mp4")

    storage.delete("novelas/1/scene-1.mp4")
    assert not storage.exists("novelas/1/scene-1.mp4")
    storage.delete("novelas/1/scene-1.mp4")  # deleting again is not an error


def test_put_file_and_download_to_copy_the_bytes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    source = tmp_path / "render.png"
    source.write_bytes(b"\x89PNG data")

    storage.put_file("stills/a.png", source, "image/png")
    copy = storage.download_to("stills/a.png", tmp_path / "out" / "copy.png")

    assert copy.read_bytes() == b"\x89PNG data"
    assert source.exists()  # put_file copies, it does not move


def test_missing_key_says_not_found(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    for read in (storage.get_bytes, storage.info, storage.playback_source):
        with pytest.raises(StorageError, match=r"'nope\.mp4' was not found"):
            read("nope.mp4")
    assert not storage.exists("nope.mp4")


def test_missing_source_file_is_a_clear_error(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    with pytest.raises(StorageError, match=r"Could not store media file 'a.mp4'.*No such file"):
        storage.put_file("a.mp4", tmp_path / "missing.mp4", "video/mp4")
    assert files_in(tmp_path / "media") == []


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_refused_by_every_operation(layout: tuple[LocalStorage, Path], key: str) -> None:
    storage, outside = layout
    operations = [
        lambda: storage.put_bytes(key, b"x", "text/plain"),
        lambda: storage.get_bytes(key),
        lambda: storage.exists(key),
        lambda: storage.info(key),
        lambda: storage.delete(key),
        lambda: storage.playback_source(key),
    ]
    for operation in operations:
        with pytest.raises(InvalidKey, match="is not allowed"):
            operation()
    assert files_in(outside) == ["secret.txt"]


def test_symlinked_folder_cannot_lead_outside(layout: tuple[LocalStorage, Path]) -> None:
    storage, outside = layout
    storage.root.mkdir()
    (storage.root / "escape").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidKey, match="outside the media folder"):
        storage.put_bytes("escape/planted.txt", b"x", "text/plain")
    with pytest.raises(InvalidKey, match="outside the media folder"):
        storage.get_bytes("escape/secret.txt")
    assert files_in(outside) == ["secret.txt"]


def test_symlinked_file_cannot_be_read_overwritten_or_deleted(layout: tuple[LocalStorage, Path]) -> None:
    storage, outside = layout
    storage.root.mkdir()
    (storage.root / "link.txt").symlink_to(outside / "secret.txt")
    (storage.root / "self").symlink_to(storage.root, target_is_directory=True)

    for operation in (
        lambda: storage.get_bytes("link.txt"),
        lambda: storage.put_bytes("link.txt", b"overwritten", "text/plain"),
        lambda: storage.delete("link.txt"),
        lambda: storage.put_bytes("self", b"x", "text/plain"),
    ):
        with pytest.raises(InvalidKey):
            operation()
    assert (outside / "secret.txt").read_text() == "secret"
    assert storage.list_page() == ([], None)  # the outside file is not listed either


def test_a_symlinked_root_works_normally(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    storage = LocalStorage(tmp_path / "alias")

    storage.put_bytes("a/b.txt", b"ok", "text/plain")

    assert (tmp_path / "real/a/b.txt").read_bytes() == b"ok"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "b", ".", "/", "\\", "~", ":", "\x00", "\n", " ", "é"]), max_size=12))
def test_no_key_writes_outside_the_folder(key: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        storage = LocalStorage(base / "media")
        try:
            storage.put_bytes(key, b"x", "text/plain")
        except InvalidKey:
            assert files_in(base) == []
            return
        written = files_in(base)
        assert written == [f"media/{key}"]
        assert storage.get_bytes(key) == b"x"


def test_writes_leave_no_temp_files_and_replace_whole_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    storage.put_bytes("clip.mp4", b"old", "video/mp4")
    storage.put_bytes("clip.mp4", b"new and longer", "video/mp4")

    assert storage.get_bytes("clip.mp4") == b"new and longer"
    assert files_in(tmp_path / "media") == ["clip.mp4"]
    assert (os.stat(tmp_path / "media/clip.mp4").st_mode & 0o777) == 0o644


def test_failed_write_keeps_the_previous_version(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    storage.put_bytes("clip.mp4", b"good take", "video/mp4")

    with pytest.raises(StorageError):
        storage.put_file("clip.mp4", tmp_path / "does-not-exist.mp4", "video/mp4")

    assert storage.get_bytes("clip.mp4") == b"good take"
    assert files_in(tmp_path / "media") == ["clip.mp4"]


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    versions = (b"A" * 2_000_000, b"B" * 3_000_000)
    storage.put_bytes("big.bin", versions[0], "application/octet-stream")
    stop = threading.Event()

    def keep_rewriting() -> None:
        for n in range(20):
            storage.put_bytes("big.bin", versions[n % 2], "application/octet-stream")
        stop.set()

    writer = threading.Thread(target=keep_rewriting)
    writer.start()
    reads = 0
    while not stop.is_set() or reads == 0:
        assert storage.get_bytes("big.bin") in versions
        reads += 1
    writer.join(timeout=10)
    assert reads > 1


def test_list_pages_in_sorted_order_and_skips_temp_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    keys = ["a-b.txt", "a/b.txt", "a/c/d.txt", "b.txt", "n/1.mp4", "n/10.mp4", "n/2.mp4"]
    for key in reversed(keys):
        storage.put_bytes(key, key.encode(), "text/plain")
    (tmp_path / "media/n" / f"{TEMP_PREFIX}crashed").write_bytes(b"half a file")

    seen, token, pages = [], None, 0
    while True:
        page, token = storage.list_page(token=token, page_size=3)
        seen += [info.key for info in page]
        pages += 1
        if token is None:
            break

    assert seen == sorted(keys)
    assert pages == 3
    assert storage.list_page("n/")[0][0].size == len(b"n/1.mp4")


def test_list_filters_by_prefix(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    for key in ("novelas/1/a.mp4", "novelas/12/b.mp4", "novelas/2/c.mp4", "other/d.mp4"):
        storage.put_bytes(key, b"x", "video/mp4")

    assert [i.key for i in storage.list_page("novelas/1")[0]] == ["novelas/1/a.mp4", "novelas/12/b.mp4"]
    assert [i.key for i in storage.list_page("novelas/1/")[0]] == ["novelas/1/a.mp4"]
    for hostile in ("../", "/etc/", "a\x00b/", "novelas/../../"):
        assert storage.list_page(hostile) == ([], None)
    assert LocalStorage(tmp_path / "never-created").list_page() == ([], None)


def test_check_creates_the_folder_and_says_so(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    assert "is ready" in storage.check()
    assert (tmp_path / "media").is_dir()


def test_factory_picks_the_local_folder_without_a_bucket(tmp_path: Path) -> None:
    settings_ = load_settings({"MEDIA_DIR": str(tmp_path / "m"), "DATABASE_URL": "sqlite://"})
    storage = make_storage(settings_)
    assert storage.mode == "local"
    storage.put_bytes("x.txt", b"1", "text/plain")
    assert (tmp_path / "m/x.txt").read_bytes() == b"1"
