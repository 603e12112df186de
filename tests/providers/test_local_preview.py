"""The local preview renderer and provider, checked with real renders and the real ffmpeg probe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from tests.media import render_clip
from vsl.media.ffmpeg import extract_frame, probe
from vsl.providers.animatic import AnimaticSpec, render_animatic, wrap
from vsl.providers.base import (
    JobSnapshot,
    ProviderConflict,
    ProviderNotFound,
    ProviderState,
    ProviderValidationError,
    SubmitRequest,
)
from vsl.providers.local_preview import LocalPreviewProvider, job_id_for, spec_for

DEADLINE_S = 20


def _request(request_id: str = "req-1", prompt: str = "Ana waits by the river.", **params: object) -> SubmitRequest:
    return SubmitRequest(
        model_id="local-preview",
        media_type="video",
        prompt=prompt,
        params={"duration": 1, "aspect_ratio": "16:9", "resolution": "480p", "seed": 3, **params},
        client_request_id=request_id,
        metadata={"title": "El regreso", "episode": 2, "scene": 4, "characters": ["Ana", "Luis"]},
    )


def _wait(provider: LocalPreviewProvider, job_id: str) -> list[JobSnapshot]:
    """Poll until the job is terminal; every snapshot seen, in order."""
    seen = [provider.status(job_id)]
    deadline = time.monotonic() + DEADLINE_S
    while not seen[-1].state.terminal:
        assert time.monotonic() < deadline, f"job {job_id} still {seen[-1].state} after {DEADLINE_S} s"
        time.sleep(0.05)
        seen.append(provider.status(job_id))
    return seen


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[LocalPreviewProvider]:
    local = LocalPreviewProvider(tmp_path / "work")
    yield local
    local.close()


# --- the renderer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aspect_ratio", "resolution", "size"),
    [("16:9", "480p", (854, 480)), ("9:16", "480p", (480, 854)), ("1:1", "480p", (480, 480))],
)
def test_animatic_is_browser_h264_of_the_requested_shape(
    tmp_path: Path, aspect_ratio: str, resolution: str, size: tuple[int, int]
) -> None:
    media = probe(render_clip(tmp_path / "clip.mp4", aspect_ratio=aspect_ratio, duration_s=2, resolution=resolution))
    assert (media.codec, media.pix_fmt, (media.width, media.height)) == ("h264", "yuv420p", size)
    assert abs(media.duration_s - 2) <= Decimal("0.1")


def test_eight_second_720p_animatic(tmp_path: Path) -> None:
    media = probe(render_clip(tmp_path / "long.mp4", duration_s=8, resolution="720p"))
    assert (media.codec, media.width, media.height) == ("h264", 1280, 720)
    assert abs(media.duration_s - 8) <= Decimal("0.1")


def _title_card_pixel(tmp_path: Path, seed: int) -> tuple[int, ...]:
    clip = render_clip(tmp_path / f"seed{seed}.mp4", seed=seed)
    with Image.open(extract_frame(clip, tmp_path / f"seed{seed}.jpg")) as frame:
        return frame.getpixel((frame.width - 10, 10))


def test_same_seed_gives_the_same_palette_and_another_seed_another(tmp_path: Path) -> None:
    first, again = _title_card_pixel(tmp_path / "a", 7), _title_card_pixel(tmp_path / "b", 7)
    other = _title_card_pixel(tmp_path / "c", 8)
    assert first == again
    assert sum(abs(x - y) for x, y in zip(first, other, strict=True)) > 30


def test_same_spec_renders_the_same_file(tmp_path: Path) -> None:
    one, two = render_clip(tmp_path / "one.mp4"), render_clip(tmp_path / "two.mp4")
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize(
    "prompt",
    [
        "Ana sonríe 😀👩‍👩‍👧 y dice: «¡ya voy!»",
        "שלום עולם · مرحبا بالعالم",
        "<script>alert('x')</script> **bold** [link](javascript:x) {{ template }}\x00\x07\t\n",
        "palabra " * 1250,
        "x" * 10_000,
        "",
    ],
    ids=["emoji", "rtl", "markup-and-control", "10k-words", "10k-one-word", "empty"],
)
def test_hostile_prompt_text_renders(tmp_path: Path, prompt: str) -> None:
    spec = AnimaticSpec(
        title=prompt[:200], episode=1, scene=1, prompt=prompt, characters=[prompt[:50]], seed=1, duration_s=2
    )
    media = probe(render_animatic(spec, tmp_path / "clip.mp4"))
    assert abs(media.duration_s - 2) <= Decimal("0.1")


def test_long_prompt_is_wrapped_to_the_page_and_marked_as_cut() -> None:
    font = ImageFont.load_default(size=20)
    lines = wrap("una palabra más " * 200 + "x" * 500, font, width=300, max_lines=5)
    assert len(lines) == 5
    assert all(font.getlength(line) <= 300 for line in lines)
    assert lines[-1].endswith("…")
    assert wrap("corto", font, width=300, max_lines=5) == ["corto"]


@pytest.mark.parametrize(
    ("field", "value"), [("duration_s", 0), ("duration_s", 11), ("aspect_ratio", "4:3"), ("resolution", "1080p")]
)
def test_spec_refuses_what_the_renderer_cannot_make(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field.removesuffix("_s")):
        AnimaticSpec(title="t", episode=1, scene=1, prompt="p", seed=1, **{field: value})


def test_progress_runs_from_0_to_100(tmp_path: Path) -> None:
    reported: list[int] = []
    spec = AnimaticSpec(title="t", episode=1, scene=1, prompt="p", seed=1, duration_s=1)
    render_animatic(spec, tmp_path / "clip.mp4", reported.append)
    assert reported == sorted(reported)
    assert reported[-1] == 100 and all(0 <= p <= 100 for p in reported)


# --- the provider -----------------------------------------------------------------------------------------------


def test_request_maps_to_spec_with_defaults() -> None:
    spec = spec_for(_request(duration=8, aspect_ratio="9:16", resolution="720p", seed=11))
    assert (spec.title, spec.episode, spec.scene, spec.characters) == ("El regreso", 2, 4, ["Ana", "Luis"])
    assert (spec.duration_s, spec.aspect_ratio, spec.resolution, spec.seed) == (8, "9:16", "720p", 11)
    bare = spec_for(SubmitRequest("local-preview", "video", "p", {}, "bare-1"))
    assert (bare.title, bare.episode, bare.scene, bare.characters) == ("Untitled scene", 1, 1, [])
    assert (bare.duration_s, bare.aspect_ratio, bare.resolution) == (5, "16:9", "480p")
    assert bare.seed == spec_for(SubmitRequest("local-preview", "video", "other", {}, "bare-1")).seed


def test_job_runs_to_a_free_finished_video(provider: LocalPreviewProvider) -> None:
    submitted = provider.submit(_request(duration=2))
    assert submitted.state is ProviderState.QUEUED
    seen = _wait(provider, submitted.job_id)
    assert seen[0].state is ProviderState.RUNNING
    assert all(s.state is ProviderState.RUNNING for s in seen[:-1])
    progress = [s.progress or 0 for s in seen]
    assert progress == sorted(progress)
    done = seen[-1]
    assert done.state is ProviderState.SUCCEEDED
    assert (done.content_type, done.duration_seconds, done.cost) == ("video/mp4", Decimal(2), Decimal("0"))
    assert done.output_path is not None
    media = probe(Path(done.output_path))
    assert media.codec == "h264" and abs(media.duration_s - 2) <= Decimal("0.1")


def test_submitting_the_same_request_twice_makes_one_job(provider: LocalPreviewProvider) -> None:
    first = provider.submit(_request("same"))
    second = provider.submit(_request("same"))
    assert first.job_id == second.job_id
    assert _wait(provider, first.job_id)[-1].state is ProviderState.SUCCEEDED
    assert len(list(provider.work_dir.glob("*.mp4"))) == 1


def test_job_ids_are_safe_file_names(provider: LocalPreviewProvider) -> None:
    job_id = provider.submit(_request("../../etc/passwd 😀")).job_id
    assert "/" not in job_id and "." not in job_id
    assert (provider.work_dir / f"{job_id}.json").is_file()


def test_restarted_provider_finishes_an_interrupted_render(tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = LocalPreviewProvider(work, max_workers=1)
    first.submit(_request("long", duration=10, resolution="720p"))  # keeps the only worker busy
    job_id = first.submit(_request("short")).job_id
    first.close()  # the app stops: the long render is interrupted, the short one never started
    assert list(work.glob("*.mp4")) == []
    second = LocalPreviewProvider(work)
    try:
        assert second.status(job_id).state is ProviderState.RUNNING
        assert _wait(second, job_id)[-1].state is ProviderState.SUCCEEDED
    finally:
        second.close()


def test_cancel_stops_the_render(provider: LocalPreviewProvider) -> None:
    job_id = provider.submit(_request("to-cancel", duration=10, resolution="720p")).job_id
    assert provider.status(job_id).state is ProviderState.RUNNING
    assert provider.cancel(job_id).state is ProviderState.CANCELED
    assert provider.cancel(job_id).state is ProviderState.CANCELED
    provider.close()  # waits for the worker to notice the flag
    assert provider.status(job_id).state is ProviderState.CANCELED
    assert list(provider.work_dir.glob("*.mp4")) == []


def test_cancelling_a_finished_job_is_a_conflict(provider: LocalPreviewProvider) -> None:
    job_id = provider.submit(_request()).job_id
    _wait(provider, job_id)
    with pytest.raises(ProviderConflict, match="already finished"):
        provider.cancel(job_id)


@pytest.mark.parametrize("job_id", ["local-unknown-000000000000", "../../etc/passwd", ""])
def test_unknown_job_is_not_found(provider: LocalPreviewProvider, job_id: str) -> None:
    with pytest.raises(ProviderNotFound):
        provider.status(job_id)
    with pytest.raises(ProviderNotFound):
        provider.cancel(job_id)


def test_invalid_settings_are_refused_at_submit(provider: LocalPreviewProvider) -> None:
    with pytest.raises(ProviderValidationError, match="duration"):
        provider.submit(_request(duration=30))
    with pytest.raises(ProviderValidationError, match="seed must be a whole number"):
        provider.submit(_request(seed="blue"))
    assert list(provider.work_dir.iterdir()) == []


def test_render_error_is_reported_as_failed(provider: LocalPreviewProvider) -> None:
    job_id = job_id_for("blocked")
    (provider.work_dir / f"{job_id}.mp4").mkdir()  # a folder where the video must go: the final rename fails
    assert provider.submit(_request("blocked")).job_id == job_id
    failed = _wait(provider, job_id)[-1]
    assert failed.state is ProviderState.FAILED
    assert failed.error_code == "render_error"
    assert failed.error_message is not None and "Rendering the local preview failed" in failed.error_message
