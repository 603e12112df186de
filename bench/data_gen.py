"""A large, varied data set for the benchmarks; the same seed gives the same rows.

Rows go in with SQLAlchemy Core bulk inserts (executemany, which SQLAlchemy 2 sends as multi-row INSERTs) and
explicit ids, so job events, media and agent messages point at their videos without reading anything back; on
PostgreSQL the id sequences are then moved past the inserted ids. The first novela is the big one (the most videos,
at least a tenth, well into production); the second has just started, its whole first episode in flight (a live
board).

    python -m bench.data_gen --database-url sqlite:///data/bench.db [--novelas 200 --videos 20000 --media 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vsl.catalog import duration_of, normalize, resolution_of, video_cost
from vsl.catalog.gpt5 import gpt5_cost
from vsl.db import migrate
from vsl.db.engine import Database
from vsl.db.models import AgentMessage, JobEvent, LlmCall, MediaItem, Novela, NovelaVideo, UserChatMessage
from vsl.jobs.outputs import media_key
from vsl.jobs.states import ACTIVE, HOLDS_MONEY
from vsl.media.ffmpeg import encode_frames

Row = dict[str, Any]
ANCHOR = datetime(2026, 11, 1, 12, tzinfo=UTC)  # "now" of the data set, fixed so that a seed gives the same rows
BATCH = 5000
TABLES = (Novela, NovelaVideo, JobEvent, AgentMessage, LlmCall, UserChatMessage, MediaItem)
VIDEO_MODELS = ("veo-3.1-fast", "veo-3.1-fast", "veo-3.1", "wan-2.5-t2v", "wan-2.5-t2v-fast", "local-preview")
PROVIDERS = {"local-preview": "local", "veo-3.1": "lambda", "veo-3.1-fast": "lambda"}  # others: replicate
PATH = ("reserved", "submitting", "queued", "running", "storing", "completed")
FAILED_AFTER = {"submit": 2, "generate": 4, "status": 4, "download": 4, "store": 5}  # steps of PATH before failing
CANCELED_AFTER = (0, 1, 3, 4)  # canceled while planned, reserved, queued or running

GENRES = ("Family saga", "Romance", "Thriller", "Period drama", "Comedy", "Mystery", "Revenge drama")
TITLE_A = ("Hacienda", "Corazón", "Secretos", "Sombras", "Destino", "Herencia", "Pasión", "Promesa", "Mentiras")
TITLE_B = ("del Valle", "de Oro", "Robados", "del Mar", "Prohibido", "de Sangre", "Eterna", "en la Niebla")
NAMES = ("Isabel", "Rafael", "Doña Elena", "Mateo", "Lucía", "Gabriel", "Valentina", "Don Ernesto", "Camila")
PLACES = ("the hacienda", "the chapel", "the harbour", "the ballroom", "the vineyard", "the train station")
BEATS = ("a letter arrives", "the confession", "a storm breaks", "the betrayal", "an old photograph", "the wedding")
SHOTS = ("Slow push-in", "Wide establishing shot", "Low angle", "Close-up", "Tracking shot", "Over-the-shoulder")
LIGHT = ("warm firelight", "cold blue rain", "golden dawn light", "candle flicker", "harsh noon sun")
FAILURES = (
    ("submit", "content_policy", "The prompt was flagged by the provider's safety filter."),
    ("generate", "render_error", "The model returned no frames for this prompt."),
    ("status", "timeout", "The job did not finish within 30 minutes."),
    ("download", "http_404", "The output URL answered 404 Not Found."),
    ("store", "storage_error", "Could not store the output: the bucket refused the upload."),
    ("submit", "invalid_params", "Reference images need aspect ratio 16:9 and a duration of 8 seconds."),
)


@dataclass(frozen=True)
class Counts:
    novelas: int = 0
    videos: int = 0
    job_events: int = 0
    agent_messages: int = 0
    llm_calls: int = 0
    chat_messages: int = 0
    media: int = 0
    files: int = 0


@dataclass
class Rows:
    """Every row to insert, by model, in insertion order (parents before children)."""

    by_model: dict[type, list[Row]] = field(default_factory=lambda: {m: [] for m in TABLES})

    def add(self, model: type, rows: list[Row]) -> None:
        self.by_model[model].extend(rows)

    def of(self, model: type) -> list[Row]:
        return self.by_model[model]


class Ids:
    """The next free id of each table, read once before generating."""

    def __init__(self, session: Session) -> None:
        self._next = {m: (session.scalar(select(func.max(m.__table__.c.id))) or 0) + 1 for m in TABLES}

    def take(self, model: type) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


@dataclass(frozen=True)
class ModelFacts:
    model_id: str
    params: dict[str, Any]
    duration: int
    resolution: str
    cost: Decimal
    provider: str


@cache
def model_facts(model_id: str) -> ModelFacts:
    params = normalize(model_id, {})
    return ModelFacts(
        model_id=model_id,
        params=params,
        duration=int(duration_of(model_id, params)),
        resolution=resolution_of(model_id, params) or "720p",
        cost=video_cost(model_id, params),
        provider=PROVIDERS.get(model_id, "replicate"),
    )


def generate(
    db: Database,
    *,
    novelas: int = 200,
    videos: int = 20_000,
    media: int = 100_000,
    seed: int = 1,
    media_dir: Path | None = None,
) -> Counts:
    """Fill a migrated database; with `media_dir`, also write a small placeholder file for every stored key."""
    if novelas < 1 and (videos > 0 or media > 0):
        raise ValueError(f"The data set needs at least one novela to hold {videos} videos and {media} media items.")
    rng = random.Random(seed)
    with db.write() as session:
        ids = Ids(session)
        rows = Rows()
        quotas = video_quotas(rng, novelas, videos)
        for index, quota in enumerate(quotas):
            novela_rows(rng, ids, rows, index, quota)
        media_rows(rng, ids, rows, media)
        for model, model_rows in rows.by_model.items():
            bulk_insert(session, model, model_rows)
        if not db.is_sqlite:
            advance_sequences(session, db.schema or "")
    files = write_files(media_dir, stored_keys(rows)) if media_dir else 0
    return Counts(
        novelas=len(rows.of(Novela)),
        videos=len(rows.of(NovelaVideo)),
        job_events=len(rows.of(JobEvent)),
        agent_messages=len(rows.of(AgentMessage)),
        llm_calls=len(rows.of(LlmCall)),
        chat_messages=len(rows.of(UserChatMessage)),
        media=len(rows.of(MediaItem)),
        files=files,
    )


def video_quotas(rng: random.Random, novelas: int, videos: int) -> list[int]:
    """How many takes each novela gets: the most (at least a tenth) for the first, the rest unevenly spread."""
    if novelas <= 1:
        return [videos] * novelas
    big = videos // 10
    weights = [rng.lognormvariate(0, 0.8) for _ in range(novelas - 1)]
    rest = videos - big
    shares = [int(rest * w / sum(weights)) for w in weights]
    for i in range(rest - sum(shares)):
        shares[i % len(shares)] += 1
    largest = shares.index(max(shares))
    if shares[largest] > big:
        shares[largest], big = big, shares[largest]
    return [big, *shares]


def novela_rows(rng: random.Random, ids: Ids, rows: Rows, index: int, quota: int) -> None:
    """One novela with its takes, job events, agent conversations and chat."""
    facts = model_facts("veo-3.1-fast" if index < 2 else rng.choice(VIDEO_MODELS))
    novela = novela_row(rng, ids.take(Novela), facts)
    if index == 0:
        novela["scenes_per_episode"] = 12  # keeps the big novela's episodes within the app's limit of 500
    done_share, in_flight = progress_of(rng, index, novela)
    takes = take_rows(rng, ids, novela, facts, quota, done_share, in_flight)
    settle_novela(rng, novela, takes, facts)
    rows.add(Novela, [novela])
    rows.add(NovelaVideo, takes)
    rows.add(JobEvent, [e for take in takes for e in event_rows(ids, take)])
    conversation_rows(rng, ids, rows, novela, takes)


def novela_row(rng: random.Random, novela_id: int, facts: ModelFacts) -> Row:
    created = ANCHOR - timedelta(days=rng.uniform(2, 365))
    cast = rng.sample(NAMES, rng.randint(2, 5))
    title = f"{rng.choice(TITLE_A)} {rng.choice(TITLE_B)}"
    place = rng.choice(PLACES)
    return {
        "id": novela_id,
        "title": title,
        "description": f"{title}: a {rng.choice(GENRES).lower()} around {place}, told in short scenes.",
        "genre": rng.choice(GENRES),
        "premise": f"{cast[0]} discovers that {rng.choice(BEATS)} at {place} changes everything.",
        "target_episodes": rng.randint(4, 30),
        "scenes_per_episode": rng.randint(4, 12),
        "created_videos": 0,
        "total_cost": Decimal(0),
        "reserved_cost": Decimal(0),
        "estimated_cost": Decimal(0),
        "budget": None,
        "default_model_id": facts.model_id,
        "default_duration": facts.duration,
        "default_resolution": facts.resolution,
        "default_parameters": dict(facts.params),
        "reference_character_images": [{"name": n, "description": f"{n}, as cast", "image_url": ""} for n in cast],
        "story_bible": {"tone": rng.choice(LIGHT), "setting": place, "characters": cast},
        "master_seed": rng.randint(0, 2**32 - 1),
        "status": "planning",
        "created_at": created,
        "updated_at": created,
    }


def progress_of(rng: random.Random, index: int, novela: Row) -> tuple[float, int]:
    """(share of takes already settled, scenes in flight at the frontier); sets the novela's status to match."""
    if index == 0:
        done, status = 0.6, "in_progress"
    elif index == 1:
        done, status = 0.0, "in_progress"
    else:
        done = rng.choice((0.0, 1.0, rng.random(), rng.random(), rng.random(), rng.random()))
        status = "planning" if done == 0 else "completed" if done == 1 else rng.choice(("in_progress", "paused"))
    novela["status"] = status
    if index == 1:
        return done, novela["scenes_per_episode"]
    return done, rng.randint(1, 6) if status == "in_progress" else 0


def take_rows(
    rng: random.Random, ids: Ids, novela: Row, facts: ModelFacts, quota: int, done_share: float, in_flight: int
) -> list[Row]:
    """Scenes in episode order: settled ones (some retaken), then the ones in flight, then planned ones."""
    takes: list[Row] = []
    per_episode = novela["scenes_per_episode"]
    scene_index = 0
    while len(takes) < quota:
        if len(takes) < round(quota * done_share):
            statuses = settled_statuses(rng)
        elif in_flight > 0:
            statuses, in_flight = flight_statuses(rng), in_flight - 1
        else:
            statuses = ["planned"]
        episode, scene = divmod(scene_index, per_episode)
        created = novela["created_at"] + (ANCHOR - novela["created_at"]) * 0.9 * len(takes) / quota
        scene_takes = [
            take_row(rng, ids.take(NovelaVideo), novela, facts, (episode + 1, scene + 1, take), status, created)
            for take, status in enumerate(statuses[: quota - len(takes)], start=1)
        ]
        last = scene_takes[-1]
        last["selected"] = len(scene_takes) > 1 and last["status"] == "completed" and rng.random() < 0.5
        takes += scene_takes
        scene_index += 1
    novela["target_episodes"] = max(novela["target_episodes"], takes[-1]["episode_number"] if takes else 1)
    return takes


def settled_statuses(rng: random.Random) -> list[str]:
    """A settled scene: mostly done, sometimes after failed or canceled takes, sometimes failed for good."""
    earlier = rng.choices(["failed", "completed", "canceled"], [6, 3, 1], k=rng.choices([0, 1, 2], [75, 20, 5])[0])
    return [*earlier, rng.choices(["completed", "failed", "canceled"], [93, 5, 2])[0]]


def flight_statuses(rng: random.Random) -> list[str]:
    statuses = ["reserved", "submitting", "queued", "running", "storing", "unknown", "needs_attention"]
    current = rng.choices(statuses, [2, 1, 3, 8, 1, 1, 1])[0]
    return ["failed", current] if rng.random() < 0.2 else [current]


def take_row(
    rng: random.Random,
    video_id: int,
    novela: Row,
    facts: ModelFacts,
    where: tuple[int, int, int],
    status: str,
    created: datetime,
) -> Row:
    episode, scene, take = where
    cast = novela["story_bible"]["characters"]
    place, beat = rng.choice(PLACES), rng.choice(BEATS)
    started = status != "planned"
    row: Row = {
        "id": video_id,
        "novela_id": novela["id"],
        "episode_number": episode,
        "scene_number": scene,
        "take": take,
        "title": f"{beat.capitalize()} at {place}",
        "script_prompt": scene_prompt(rng, cast, place, beat),
        "negative_prompt": "blur, extra limbs, text on screen" if rng.random() < 0.5 else "",
        "scene_details": {"camera": rng.choice(SHOTS), "characters": cast[:2], "continuity": f"after {beat}"},
        "model_id": facts.model_id,
        "model_parameters": dict(facts.params),
        "provider": facts.provider if started else None,
        "client_request_id": f"{rng.getrandbits(128):032x}" if started else None,
        "job_id": f"{facts.provider}-{rng.getrandbits(64):016x}",
        "status": status,
        "progress": {"running": rng.randint(5, 95), "storing": 100, "completed": 100}.get(status, 0),
        "estimated_cost": facts.cost,
        "reserved_cost": facts.cost if status in HOLDS_MONEY else Decimal(0),
        "actual_cost": facts.cost if status == "completed" else None,
        "created_by_agent": "script_writer" if rng.random() < 0.5 else None,
        "validated_by_agent": "integrator" if started and rng.random() < 0.8 else None,
        "selected": False,  # the take chosen for assembly: set by take_rows on some retaken scenes
        "cancel_requested": False,
        "poll_attempts": rng.randint(1, 40) if status in {"queued", "running", "storing", "completed"} else 0,
        "created_at": created,
    }
    row.update(failure_fields(rng, facts, status))
    row.update(output_fields(row, facts))
    row.update(timing(rng, status, created))
    if "queued" not in status_path(row):  # the provider never saw it, so there is no provider job id
        row["job_id"] = None
    return row


def scene_prompt(rng: random.Random, cast: list[str], place: str, beat: str) -> str:
    who = " and ".join(cast[:2]).upper()
    return (
        f"{rng.choice(SHOTS)} in {place}: {who} as {beat}. {rng.choice(LIGHT).capitalize()}, "
        f"shallow depth of field, tense silence, then a slow pan to {cast[-1]}'s face."
    )


def failure_fields(rng: random.Random, facts: ModelFacts, status: str) -> Row:
    if status != "failed":
        return {"failure_stage": None, "failure_provider": None, "failure_code": None, "failure_message": None}
    stage, code, message = rng.choice(FAILURES)
    return {
        "failure_stage": stage,
        "failure_provider": facts.provider,
        "failure_code": code,
        "failure_message": message,
    }


def output_fields(row: Row, facts: ModelFacts) -> Row:
    if row["status"] != "completed":
        return {"output_url": None, "s3_key": None, "thumbnail_key": None, "duration_seconds": None}
    key = media_key(NovelaVideo(**{k: row[k] for k in ("id", "novela_id", "episode_number", "scene_number", "take")}))
    thumb = f"thumbnails/{key.rsplit('.', 1)[0]}.jpg" if row["id"] % 10 else None
    return {"output_url": None, "s3_key": key, "thumbnail_key": thumb, "duration_seconds": Decimal(facts.duration)}


def timing(rng: random.Random, status: str, created: datetime) -> Row:
    """Submission, polling and completion times that follow the status, all before the data set's "now"."""
    submitted = completed = next_poll = deadline = None
    if status in ACTIVE or status == "needs_attention":
        submitted = ANCHOR - timedelta(seconds=rng.uniform(60, 1800))
        next_poll = ANCHOR + timedelta(seconds=rng.uniform(3, 30)) if status in {"queued", "running"} else None
        deadline = submitted + timedelta(minutes=30)
    elif status != "planned":
        submitted = min(created + timedelta(minutes=rng.uniform(1, 600)), ANCHOR - timedelta(minutes=20))
        completed = submitted + timedelta(seconds=rng.uniform(60, 900))
    return {
        "submitted_at": submitted,
        "completed_at": completed,
        "next_poll_at": next_poll,
        "deadline_at": deadline,
        "updated_at": completed or submitted or created,
    }


def settle_novela(rng: random.Random, novela: Row, takes: list[Row], facts: ModelFacts) -> None:
    """Running totals that match the takes, a plan estimate, and a budget (when set) that covers them."""
    spent = sum((t["actual_cost"] or Decimal(0) for t in takes), Decimal(0))
    reserved = sum((t["reserved_cost"] for t in takes), Decimal(0))
    estimate = facts.cost * novela["target_episodes"] * novela["scenes_per_episode"]
    budget = (estimate * rng.randint(80, 200) / 100).quantize(Decimal("0.01"))
    novela.update(
        created_videos=sum(t["status"] == "completed" for t in takes),
        total_cost=spent,
        reserved_cost=reserved,
        estimated_cost=estimate,
        budget=max(budget, spent + reserved) if rng.random() < 0.7 else None,
        updated_at=max((t["updated_at"] for t in takes), default=novela["created_at"]),
    )


def event_rows(ids: Ids, take: Row) -> list[Row]:
    """The job_events a take went through to reach its status."""
    steps = status_path(take)
    start = take["submitted_at"] or take["created_at"]
    span = (take["completed_at"] or ANCHOR) - start
    rows, previous = [], "planned"
    for i, status in enumerate(steps):
        rows.append(
            {
                "id": ids.take(JobEvent),
                "video_id": take["id"],
                "from_status": previous,
                "to_status": status,
                "message": f"{previous} → {status}" + (f": {take['failure_message']}" if status == "failed" else ""),
                "payload": {"job_id": take["job_id"], "progress": take["progress"] if status == take["status"] else 0},
                "created_at": start + span * (i / max(1, len(steps))),
            }
        )
        previous = status
    return rows


def status_path(take: Row) -> list[str]:
    """The statuses from `planned` to the take's own, along the state machine."""
    status = take["status"]
    if status in PATH:
        return list(PATH[: PATH.index(status) + 1])
    if status in {"unknown", "needs_attention"}:
        return ["reserved", "submitting", "unknown", *(["needs_attention"] if status == "needs_attention" else [])]
    if status == "failed":
        return [*PATH[: FAILED_AFTER[take["failure_stage"]]], "failed"]
    if status == "canceled":
        return [*PATH[: CANCELED_AFTER[take["id"] % len(CANCELED_AFTER)]], "canceled"]
    return []


def conversation_rows(rng: random.Random, ids: Ids, rows: Rows, novela: Row, takes: list[Row]) -> None:
    """The season draft, a scene-writing exchange per agent-written take, and failure questions with chat."""
    nid = novela["id"]
    draft = ("user", "script_writer", "draft_season")
    exchange(rng, ids, rows, draft, nid, None, {"premise": novela["premise"]}, novela["created_at"])
    for take in takes:
        if take["created_by_agent"]:
            ask = {"episode": take["episode_number"], "scene": take["scene_number"]}
            write = ("integrator", "script_writer", "write_scene")
            exchange(rng, ids, rows, write, nid, take, ask, take["created_at"])
        if take["status"] == "failed" and rng.random() < 0.5:
            when = take["completed_at"] or ANCHOR
            question = {"question": f"Why did E{take['episode_number']} S{take['scene_number']} fail?"}
            exchange(rng, ids, rows, ("user", "fallback", "explain_failure"), nid, take, question, when)
            rows.add(UserChatMessage, chat_rows(ids, nid, take, when))


def exchange(
    rng: random.Random,
    ids: Ids,
    rows: Rows,
    who: tuple[str, str, str],
    novela_id: int,
    take: Row | None,
    content: Row,
    when: datetime,
) -> None:
    """A request, its response (or, rarely, an error) and the GPT-5 call behind the answer."""
    sender, agent, action = who
    conversation = f"{action}-{novela_id}-{take['id'] if take else 0}"
    ok = rng.random() > 0.02
    about = {"conversation_id": conversation, "action": action, "novela_id": novela_id}
    about["video_id"] = take["id"] if take else None
    request = message_row(ids, about, (sender, agent, "request"), content)
    request.update(created_at=when)
    answer = {"text": take["script_prompt"] if take else "Season drafted."} if ok else {"error": "GPT-5 timed out."}
    response = message_row(ids, about, (agent, sender, "response" if ok else "error"), answer)
    response.update(response_to=request["id"], created_at=when + timedelta(seconds=rng.uniform(2, 40)))
    rows.add(AgentMessage, [request, response])
    rows.add(LlmCall, [llm_call_row(rng, ids.take(LlmCall), agent, action, novela_id, conversation, ok, when)])


def message_row(ids: Ids, about: Row, route: tuple[str, str, str], content: Row) -> Row:
    sender, recipient, kind = route
    return {
        **about,
        "id": ids.take(AgentMessage),
        "from_agent": sender,
        "to_agent": recipient,
        "message_type": kind,
        "content": content,
        "response_to": None,
        "created_at": ANCHOR,
    }


def llm_call_row(
    rng: random.Random, call_id: int, agent: str, step: str, novela_id: int, conversation: str, ok: bool, when: datetime
) -> Row:
    model = rng.choice(("gpt-5", "gpt-5", "gpt-5-mini"))
    tokens_in, tokens_out = rng.randint(800, 12_000), rng.randint(200, 4000)
    cached = rng.randint(0, tokens_in // 2)
    return {
        "id": call_id,
        "agent": agent,
        "model": model,
        "step": step,
        "input_tokens": tokens_in,
        "cached_tokens": cached,
        "output_tokens": tokens_out,
        "reasoning_tokens": rng.randint(0, tokens_out // 2),
        "cost_usd": gpt5_cost(model, tokens_in, cached, tokens_out) if ok else Decimal(0),
        "latency_ms": rng.randint(900, 40_000),
        "cached_response": rng.random() < 0.05,
        "ok": ok,
        "error": None if ok else "OpenAI did not answer within 120 s.",
        "novela_id": novela_id,
        "conversation_id": conversation,
        "created_at": when,
    }


def chat_rows(ids: Ids, novela_id: int, take: Row, when: datetime) -> list[Row]:
    base = {"session_id": f"bench-{novela_id}", "novela_id": novela_id, "video_id": take["id"]}
    scene = f"E{take['episode_number']} S{take['scene_number']}"
    return [
        {**base, "id": ids.take(UserChatMessage), "role": "user", "content": f"Why did {scene} fail?",
         "context": {"page": "board"}, "created_at": when},
        {**base, "id": ids.take(UserChatMessage), "role": "assistant", "context": {"failure": take["failure_code"]},
         "content": f"{take['failure_message']} Rewrite the prompt or retry as a new take.",
         "created_at": when + timedelta(seconds=20)},
    ]  # fmt: skip


def media_rows(rng: random.Random, ids: Ids, rows: Rows, total: int) -> None:
    """The library: every finished take, assembled episodes, then images, narration and synced clips."""
    finished = [t for t in rows.of(NovelaVideo) if t["status"] == "completed"][:total]
    items = [take_media(ids, t) for t in finished]
    items += [assembled_media(ids, *cut) for cut in finished_episodes(rows)[: total - len(items)]]
    makers = (image_media, audio_media, synced_media)
    novelas = rows.of(Novela)
    while len(items) < total:
        items.append(rng.choices(makers, [45, 25, 30])[0](rng, ids.take(MediaItem), rng.choice(novelas)))
    rows.add(MediaItem, items)


def media_item(item_id: int, key: str, media_type: str, **fields: Any) -> Row:
    """A library row with every column set (bulk inserts need the same keys in every row)."""
    content = {"video": "video/mp4", "image": "image/jpeg", "audio": "audio/wav"}[media_type]
    return {
        "id": item_id,
        "s3_key": key,
        "s3_url": None,
        "media_type": media_type,
        "content_type": content,
        "file_size_bytes": None,
        "duration_seconds": None,
        "title": "",
        "description": "",
        "tags": [],
        "source": "generated",
        "novela_id": None,
        "video_id": None,
        "episode_number": None,
        "scene_number": None,
        "job_id": None,
        "thumbnail_key": None,
        "thumbnail_url": None,
        "created_at": ANCHOR,
    } | fields


def take_media(ids: Ids, take: Row) -> Row:
    return media_item(
        ids.take(MediaItem),
        take["s3_key"],
        "video",
        file_size_bytes=int(take["duration_seconds"] * 450_000),
        duration_seconds=take["duration_seconds"],
        title=take["title"],
        description=take["script_prompt"],
        tags=[f"take-{take['take']}", take["model_id"]],
        novela_id=take["novela_id"],
        video_id=take["id"],
        episode_number=take["episode_number"],
        scene_number=take["scene_number"],
        job_id=take["job_id"],
        thumbnail_key=take["thumbnail_key"],
        created_at=take["completed_at"],
    )


def finished_episodes(rows: Rows) -> list[tuple[Row, int, datetime]]:
    """(novela, episode, last completion) of every episode whose every scene has a finished take."""
    scenes: dict[tuple[int, int], set[int]] = {}
    last: dict[tuple[int, int], datetime] = {}
    for t in rows.of(NovelaVideo):
        if t["status"] == "completed":
            scenes.setdefault((t["novela_id"], t["episode_number"]), set()).add(t["scene_number"])
            last[(t["novela_id"], t["episode_number"])] = t["completed_at"]
    novelas = {n["id"]: n for n in rows.of(Novela)}
    return [
        (novelas[nid], episode, last[(nid, episode)])
        for (nid, episode), numbers in scenes.items()
        if len(numbers) == novelas[nid]["scenes_per_episode"]
    ]


def assembled_media(ids: Ids, novela: Row, episode: int, when: datetime) -> Row:
    key = f"episodes/novela-{novela['id']}/episode-{episode:03d}.mp4"
    scenes = novela["scenes_per_episode"]
    return media_item(
        ids.take(MediaItem), key, "video", source="assembled", title=f"{novela['title']} — Episode {episode}",
        file_size_bytes=scenes * 3_600_000, duration_seconds=Decimal(scenes * novela["default_duration"]),
        tags=["episode"], novela_id=novela["id"], episode_number=episode,
        thumbnail_key=f"thumbnails/{key.rsplit('.', 1)[0]}.jpg", created_at=when,
    )  # fmt: skip


def _when(rng: random.Random, novela: Row) -> datetime:
    return novela["created_at"] + (ANCHOR - novela["created_at"]) * rng.random()


def image_media(rng: random.Random, item_id: int, novela: Row) -> Row:
    key = f"images/novela-{novela['id']}/image-{item_id:07d}.jpg"
    name = rng.choice(novela["story_bible"]["characters"])
    return media_item(
        item_id, key, "image", file_size_bytes=rng.randint(80_000, 2_500_000), title=f"{name} — reference",
        description=f"Portrait of {name}, {rng.choice(LIGHT)}", tags=["flux-schnell", "reference"],
        novela_id=novela["id"], thumbnail_key=f"thumbnails/{key}" if rng.random() < 0.5 else None,
        created_at=_when(rng, novela),
    )  # fmt: skip


def audio_media(rng: random.Random, item_id: int, novela: Row) -> Row:
    seconds = Decimal(rng.randint(20, 900)) / 10
    return media_item(
        item_id, f"audio/novela-{novela['id']}/narration-{item_id:07d}.wav", "audio",
        file_size_bytes=int(seconds * 32_000), duration_seconds=seconds, title=f"Narration {item_id}",
        description=f"{rng.choice(NAMES)} narrates: {rng.choice(BEATS)}.", tags=["speech-02-hd"],
        novela_id=novela["id"], episode_number=1, scene_number=rng.randint(1, novela["scenes_per_episode"]),
        created_at=_when(rng, novela),
    )  # fmt: skip


def synced_media(rng: random.Random, item_id: int, novela: Row) -> Row:
    key = f"library/clips/clip-{item_id:07d}.mp4"
    return media_item(
        item_id, key, "video", source="synced", file_size_bytes=rng.randint(1_000_000, 60_000_000),
        title=f"clip-{item_id:07d}", thumbnail_key=f"thumbnails/{key[:-4]}.jpg" if rng.random() < 0.2 else None,
        created_at=_when(rng, novela),
    )  # fmt: skip


def bulk_insert(session: Session, model: type, rows: list[Row]) -> None:
    table = model.__table__
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def advance_sequences(session: Session, schema: str) -> None:
    """Explicit ids leave PostgreSQL's serial sequences behind: move each past the highest id."""
    for model in TABLES:
        table = model.__table__
        sequence = func.pg_get_serial_sequence(f"{schema}.{table.name}", "id")
        session.execute(select(func.setval(sequence, select(func.max(table.c.id)).scalar_subquery())))


def stored_keys(rows: Rows) -> set[str]:
    keys = {r[c] for m in (NovelaVideo, MediaItem) for r in rows.of(m) for c in ("s3_key", "thumbnail_key")}
    return {k for k in keys if k}


def write_files(media_dir: Path, keys: set[str]) -> int:
    """A tiny valid file (JPEG, H.264 MP4 or WAV, by extension) for every key, so pages can show them."""
    blobs = placeholder_blobs()
    folders: set[Path] = set()
    for key in keys:
        path = media_dir / key
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(blobs[path.suffix])
    return len(keys)


def placeholder_blobs() -> dict[str, bytes]:
    image = Image.new("RGB", (160, 90), (52, 68, 85))
    jpeg = BytesIO()
    image.save(jpeg, "JPEG", quality=70)
    audio = BytesIO()
    with wave.open(audio, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 4000)
    with tempfile.TemporaryDirectory(prefix="vsl-bench-") as tmp:
        clip = encode_frames([image.tobytes()], image.size, Path(tmp) / "clip.mp4", input_fps=1)
        video = clip.read_bytes()
    return {".jpg": jpeg.getvalue(), ".wav": audio.getvalue(), ".mp4": video}


def biggest_novela_id(db: Database) -> int:
    """The novela with the most takes (the board's heaviest case)."""
    with db.session() as session:
        stmt = select(NovelaVideo.novela_id).group_by(NovelaVideo.novela_id).order_by(func.count().desc()).limit(1)
        return int(session.scalar(stmt) or 0)


def live_novela_id(db: Database) -> int:
    """The novela with the most jobs in flight in episode 1 (its board refreshes itself)."""
    with db.session() as session:
        stmt = (
            select(NovelaVideo.novela_id)
            .where(NovelaVideo.episode_number == 1, NovelaVideo.status.in_([s.value for s in ACTIVE]))
            .group_by(NovelaVideo.novela_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        return int(session.scalar(stmt) or 0)


@dataclass(frozen=True)
class DataSet:
    """A generated SQLite database and media folder, and the environment that points the app at them."""

    url: str
    media_dir: Path
    counts: Counts
    seconds: float

    def app_env(self) -> dict[str, str]:
        """The app's environment: this data set, embedded worker off, no outside services (whatever .env says)."""
        blank = ("LAMBDA_API_URL", "REPLICATE_API_TOKEN", "OPENAI_API_KEY", "S3_BUCKET", "S3_ENDPOINT_URL")
        return {
            **{name: "" for name in blank},
            "DATABASE_URL": self.url,
            "MEDIA_DIR": str(self.media_dir),
            "EMBEDDED_WORKER": "false",
        }


@contextmanager
def temp_dataset(*, novelas: int = 200, videos: int = 20_000, media: int = 100_000, seed: int = 1) -> Iterator[DataSet]:
    """Generate a data set in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="vsl-bench-data-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        try:
            migrate.upgrade(db)
            started = time.perf_counter()
            counts = generate(db, novelas=novelas, videos=videos, media=media, seed=seed, media_dir=Path(tmp) / "media")
            seconds = time.perf_counter() - started
        finally:
            db.dispose()
        yield DataSet(url, Path(tmp) / "media", counts, seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.data_gen", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="e.g. sqlite:///data/bench.db (migrated first)")
    parser.add_argument("--schema", default=os.environ.get("DB_SCHEMA", "vsl_frontend"), help="PostgreSQL schema")
    parser.add_argument("--novelas", type=int, default=200)
    parser.add_argument("--videos", type=int, default=20_000)
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--media-dir", type=Path, help="also write a placeholder file for every stored key here")
    args = parser.parse_args(argv)
    db = Database(args.database_url, args.schema)
    try:
        migrate.upgrade(db)
        started = time.perf_counter()
        counts = generate(
            db, novelas=args.novelas, videos=args.videos, media=args.media, seed=args.seed, media_dir=args.media_dir
        )
    finally:
        db.dispose()
    for name, value in asdict(counts).items():
        print(f"{name:>15}: {value:,}")
    print(f"{'seconds':>15}: {time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
