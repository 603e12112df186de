"""The free local provider: renders an animatic per scene in a bounded thread pool.

Everything a job is lives in files under `work_dir`, so a restarted app can answer for jobs it started before:
`<job_id>.json` (the request and the resolved spec), `<job_id>.mp4` (finished), `<job_id>.error.json` (failed)
and `<job_id>.canceled`. A job with a request file and none of the others was interrupted mid-render;
rendering is free and deterministic, so `status` simply starts it again.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from vsl.media import atomic_output
from vsl.providers.animatic import AnimaticSpec, RenderCanceled, render_animatic
from vsl.providers.base import (
    JobSnapshot,
    ProviderConflict,
    ProviderNotFound,
    ProviderState,
    ProviderUnavailable,
    ProviderValidationError,
    SubmitRecovery,
    SubmitRequest,
)
from vsl.providers.stills import StillSpec, render_still

NAME = "local"
DEFAULT_DURATION_S = 5
_JOB_ID = re.compile(r"^local-[A-Za-z0-9_-]{1,80}$")


def job_id_for(client_request_id: str) -> str:
    """A file-name-safe job id: a readable slug of the request id plus a hash that keeps ids distinct."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", client_request_id).strip("-")[:40]
    digest = hashlib.sha256(client_request_id.encode()).hexdigest()[:12]
    return f"local-{slug}-{digest}" if slug else f"local-{digest}"


def _names(characters: Any) -> list[str]:
    """Character names from a list of names (or of dicts with a `name`) or a comma-separated string."""
    if isinstance(characters, str):
        return [n.strip() for n in characters.split(",") if n.strip()]
    names = (c.get("name", "") if isinstance(c, dict) else c for c in characters or [])
    return [str(n) for n in names if str(n).strip()]


def _whole(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}.") from None


def _default_seed(client_request_id: str) -> int:
    return int(hashlib.sha256(client_request_id.encode()).hexdigest()[:8], 16)


def spec_for(request: SubmitRequest) -> AnimaticSpec:
    """Map catalog parameters and scene metadata to an animatic spec, with defaults for what is absent."""
    params, meta = request.params, request.metadata
    seed = params.get("seed")
    try:
        return AnimaticSpec(
            title=str(meta.get("title") or "Untitled scene"),
            episode=_whole(meta.get("episode") or 1, "episode"),
            scene=_whole(meta.get("scene") or 1, "scene"),
            prompt=request.prompt,
            characters=_names(meta.get("characters")),
            seed=_default_seed(request.client_request_id) if seed is None else _whole(seed, "seed"),
            duration_s=_whole(params.get("duration") or DEFAULT_DURATION_S, "duration"),
            aspect_ratio=str(params.get("aspect_ratio") or "16:9"),
            resolution=str(params.get("resolution") or "480p"),
            first_frame=str(meta.get("first_frame_path") or ""),
        )
    except ValueError as exc:
        raise ProviderValidationError(
            f"The local preview cannot render these settings: {exc} Change the scene and submit again.",
            provider=NAME,
            stage="submit",
            code="invalid_params",
        ) from exc


def still_spec_for(request: SubmitRequest) -> StillSpec:
    """A labelled stand-in portrait or keyframe for an image model."""
    seed = request.params.get("seed")
    return StillSpec(
        purpose=str(request.metadata.get("purpose") or "portrait"),
        label=str(request.metadata.get("label") or request.metadata.get("title") or "Image"),
        prompt=request.prompt,
        seed=_default_seed(request.client_request_id) if seed is None else int(seed),
        aspect_ratio=str(request.params.get("aspect_ratio") or "1:1"),
    )


Spec = AnimaticSpec | StillSpec


@dataclass
class _Render:
    """One render in flight: its stop flag and the last progress it reported."""

    stop: threading.Event = field(default_factory=threading.Event)
    progress: int = 0


@dataclass(frozen=True)
class _JobFiles:
    request: Path
    video: Path
    image: Path  # a still (image models)
    error: Path
    canceled: Path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")


class LocalPreviewProvider:
    """Provider "local": free animatic previews rendered on this machine."""

    name = NAME
    submit_recovery = SubmitRecovery.SAME_ID  # jobs are keyed by request id, and rendering is free
    resubmit_window_s = None

    def __init__(self, work_dir: Path, max_workers: int = 1) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="local-preview")
        self._renders: dict[str, _Render] = {}
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, request: SubmitRequest) -> JobSnapshot:
        """Queue a render. Submitting the same client_request_id again returns that job's status."""
        spec: Spec = still_spec_for(request) if request.media_type == "image" else spec_for(request)
        job_id = job_id_for(request.client_request_id)
        files = self._files(job_id, "submit")
        with self._lock:
            is_new = not files.request.exists()
            if is_new:
                self._ensure_open("submit")
                still = isinstance(spec, StillSpec)
                record = {"job_id": job_id, "request": asdict(request), "spec": asdict(spec), "still": still}
                _write_json(files.request, record)
                self._start(job_id, spec, stage="submit")
        return JobSnapshot(job_id, ProviderState.QUEUED, progress=0) if is_new else self.status(job_id)

    def find_submission(self, client_request_id: str) -> JobSnapshot | None:
        """The job an earlier submit with this request id created (its request file), or None."""
        job_id = job_id_for(client_request_id)
        return self.status(job_id) if self._files(job_id, "status").request.exists() else None

    def status(self, job_id: str) -> JobSnapshot:
        files = self._files(job_id, "status")
        with self._lock:
            if files.canceled.exists():
                return JobSnapshot(job_id, ProviderState.CANCELED)
            if files.video.is_file() or files.image.is_file():
                return self._succeeded(job_id, files)
            if files.error.exists():
                return self._failed(job_id, files)
            render = self._renders.get(job_id)
            if render is None:
                if not files.request.exists():
                    raise self._not_found(job_id, "status")
                render = self._start(job_id, self._load_spec(files), stage="status")  # interrupted: render again
            return JobSnapshot(job_id, ProviderState.RUNNING, progress=render.progress)

    def cancel(self, job_id: str) -> JobSnapshot:
        files = self._files(job_id, "cancel")
        with self._lock:
            if not files.canceled.exists():
                if files.video.is_file() or files.image.is_file() or files.error.exists():
                    raise ProviderConflict(
                        f"Local preview job {job_id} has already finished, so there is nothing to cancel.",
                        provider=NAME,
                        stage="cancel",
                        code="already_finished",
                    )
                if not files.request.exists():
                    raise self._not_found(job_id, "cancel")
                files.canceled.touch()
                render = self._renders.pop(job_id, None)
                if render is not None:
                    render.stop.set()
        return JobSnapshot(job_id, ProviderState.CANCELED)

    def close(self) -> None:
        """Stop in-flight renders (they restart on the next `status` of a new instance) and the pool."""
        with self._lock:
            self._closed = True
            renders, self._renders = list(self._renders.values()), {}
        for render in renders:
            render.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _files(self, job_id: str, stage: str) -> _JobFiles:
        if not _JOB_ID.match(job_id):
            raise self._not_found(job_id, stage)
        folder = self.work_dir
        return _JobFiles(
            request=folder / f"{job_id}.json",
            video=folder / f"{job_id}.mp4",
            image=folder / f"{job_id}.png",
            error=folder / f"{job_id}.error.json",
            canceled=folder / f"{job_id}.canceled",
        )

    @staticmethod
    def _not_found(job_id: str, stage: str) -> ProviderNotFound:
        return ProviderNotFound(
            f"There is no local preview job {job_id!r} in this work folder; submit the scene again.",
            provider=NAME,
            stage=stage,
            code="not_found",
        )

    def _ensure_open(self, stage: str) -> None:
        if self._closed:
            raise ProviderUnavailable(
                "The local preview renderer has been shut down; restart the app to render again.",
                provider=NAME,
                stage=stage,
            )

    def _start(self, job_id: str, spec: Spec, *, stage: str) -> _Render:
        """Schedule a render; the caller holds the lock."""
        self._ensure_open(stage)
        render = _Render()
        self._renders[job_id] = render
        self._pool.submit(self._render, job_id, spec, render)
        return render

    def _render(self, job_id: str, spec: Spec, render: _Render) -> None:
        files = self._files(job_id, "status")

        def progress(percent: int) -> None:
            render.progress = percent

        try:
            if isinstance(spec, StillSpec):
                render_still(spec, files.image)
            else:
                render_animatic(spec, files.video, progress, should_stop=render.stop.is_set)
        except RenderCanceled:
            pass  # canceled (marker written) or shutting down (no marker: restarted later)
        except Exception as exc:
            _write_json(files.error, {"error": f"Rendering the local preview failed: {exc}"})
        finally:
            with self._lock:
                if self._renders.get(job_id) is render:
                    del self._renders[job_id]
                if files.canceled.exists():  # canceled after the last frame: the file must not look finished
                    files.video.unlink(missing_ok=True)
                    files.image.unlink(missing_ok=True)

    @staticmethod
    def _load_spec(files: _JobFiles) -> Spec:
        record = json.loads(files.request.read_text(encoding="utf-8"))
        return (StillSpec if record.get("still") else AnimaticSpec)(**record["spec"])

    def _succeeded(self, job_id: str, files: _JobFiles) -> JobSnapshot:
        if files.image.is_file():
            return JobSnapshot(
                job_id,
                ProviderState.SUCCEEDED,
                100,
                output_path=str(files.image),
                content_type="image/png",
                cost=Decimal(0),
            )
        return JobSnapshot(
            job_id,
            ProviderState.SUCCEEDED,
            progress=100,
            output_path=str(files.video),
            content_type="video/mp4",
            duration_seconds=Decimal(self._load_spec(files).duration_s),  # type: ignore[union-attr]
            cost=Decimal("0"),
        )

    @staticmethod
    def _failed(job_id: str, files: _JobFiles) -> JobSnapshot:
        message = json.loads(files.error.read_text(encoding="utf-8"))["error"]
        return JobSnapshot(job_id, ProviderState.FAILED, error_code="render_error", error_message=message)
