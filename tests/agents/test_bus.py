"""The agents' message bus on SQLite and PostgreSQL: correlation, persistence, errors, timeouts, threads."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from vsl.agents.bus import Bus, BusError, BusMessage, BusTimeout, new_conversation_id
from vsl.db.engine import Database
from vsl.db.models import Novela


def echo(message: BusMessage) -> dict[str, Any]:
    return {"echo": message.content}


def kinds(messages: list[BusMessage]) -> list[tuple[str, str, str, str]]:
    return [(m.message_type, m.from_agent, m.to_agent, m.action) for m in messages]


def test_request_returns_the_correlated_response_after_persisting_the_request(db: Database) -> None:
    bus = Bus(db)
    conversation = new_conversation_id()
    seen_in_log: list[list[str]] = []

    def writer(message: BusMessage) -> dict[str, Any]:
        seen_in_log.append([m.message_type for m in bus.history(conversation)])
        return {"title": f"Scene {message.content['scene']}"}

    bus.register("writer", writer)
    answer = bus.request("director", "writer", "draft_scene", {"scene": 3}, conversation_id=conversation)

    assert answer.content == {"title": "Scene 3"}
    assert seen_in_log == [["request"]]  # the request was in the log before the handler ran
    request, response = bus.history(conversation)
    assert kinds([request, response]) == [
        ("request", "director", "writer", "draft_scene"),
        ("response", "writer", "director", "draft_scene"),
    ]
    assert response.id == answer.id and response.response_to == request.id
    assert request.content == {"scene": 3}


def test_a_failing_handler_produces_a_persisted_error_raised_to_the_requester(db: Database) -> None:
    bus = Bus(db)
    conversation = new_conversation_id()

    def critic(message: BusMessage) -> dict[str, Any]:
        raise ValueError("scene 3 has no dialogue")

    bus.register("critic", critic)
    with pytest.raises(BusError, match=r"'critic' failed on 'review'.*scene 3 has no dialogue") as caught:
        bus.request("director", "critic", "review", {"scene": 3}, conversation_id=conversation)

    request, error = bus.history(conversation)
    assert kinds([request, error]) == [
        ("request", "director", "critic", "review"),
        ("error", "critic", "director", "review"),
    ]
    assert error.response_to == request.id
    assert error.content == {"error": "ValueError: scene 3 has no dialogue"}
    assert caught.value.message == error


def test_request_times_out_when_nobody_answers(sqlite_db: Database) -> None:
    bus = Bus(sqlite_db)
    conversation = new_conversation_id()
    bus.register("slow", lambda message: None)
    started = time.monotonic()
    with pytest.raises(BusTimeout, match=r"'slow' did not answer 'render' within 0\.1 s"):
        bus.request("director", "slow", "render", {}, conversation_id=conversation, timeout_s=0.1)
    assert time.monotonic() - started < 2
    request, timeout = bus.history(conversation)
    assert (timeout.message_type, timeout.from_agent, timeout.response_to) == ("error", "bus", request.id)


def test_a_handler_can_answer_later_from_another_thread(sqlite_db: Database) -> None:
    bus = Bus(sqlite_db)
    workers: list[threading.Thread] = []

    def producer(message: BusMessage) -> None:
        worker = threading.Timer(0.05, bus.reply, args=(message, {"video": "take-1.mp4"}))
        workers.append(worker)
        worker.start()

    bus.register("producer", producer)
    answer = bus.request("director", "producer", "render", {}, conversation_id=new_conversation_id(), timeout_s=5)
    for worker in workers:
        worker.join(timeout=5)
    assert answer.content == {"video": "take-1.mp4"}
    assert (answer.from_agent, answer.to_agent) == ("producer", "director")


def test_broadcast_reaches_every_other_agent_and_survives_one_failure(db: Database) -> None:
    bus = Bus(db)
    conversation = new_conversation_id()
    received: list[str] = []

    def listener(name: str) -> Any:
        def handle(message: BusMessage) -> dict[str, Any]:
            received.append(name)
            if name == "critic":
                raise RuntimeError("critic is offline")
            return {"ack": name}

        return handle

    for name in ("director", "writer", "critic", "producer"):
        bus.register(name, listener(name))
    sent = bus.broadcast("director", "novela_changed", {"novela": 1}, conversation_id=conversation)

    assert sorted(received) == ["critic", "producer", "writer"]
    log = bus.history(conversation)
    assert log[0] == sent and (sent.message_type, sent.to_agent) == ("broadcast", "*")
    answers = {m.from_agent: m for m in log[1:]}
    assert {name: m.message_type for name, m in answers.items()} == {
        "writer": "response",
        "critic": "error",
        "producer": "response",
    }
    assert all(m.response_to == sent.id and m.to_agent == "director" for m in answers.values())


def test_handlers_can_broadcast_and_request_without_deadlock(sqlite_db: Database) -> None:
    bus = Bus(sqlite_db)
    conversation = new_conversation_id()
    bus.register("writer", echo)
    bus.register("critic", echo)

    def director(message: BusMessage) -> dict[str, Any]:
        bus.broadcast("director", "heads_up", {}, conversation_id=conversation)
        draft = bus.request("director", "writer", "draft", {"scene": 1}, conversation_id=conversation)
        return {"draft": draft.content}

    bus.register("director", director)
    outcome: list[BusMessage] = []
    runner = threading.Thread(
        target=lambda: outcome.append(bus.request("user", "director", "plan", {}, conversation_id=conversation))
    )
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive(), "a handler that uses the bus deadlocked"
    assert outcome[0].content == {"draft": {"echo": {"scene": 1}}}


def test_concurrent_requests_from_threads_each_get_their_own_answer(db: Database) -> None:
    bus = Bus(db)
    conversation = new_conversation_id()
    bus.register("writer", echo)
    results: dict[tuple[int, int], dict[str, Any]] = {}
    failures: list[BaseException] = []

    def ask(thread_no: int) -> None:
        try:
            for n in range(4):
                content = {"thread": thread_no, "n": n}
                answer = bus.request(f"agent-{thread_no}", "writer", "draft", content, conversation_id=conversation)
                results[(thread_no, n)] = answer.content
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not failures
    assert results == {(t, n): {"echo": {"thread": t, "n": n}} for t in range(6) for n in range(4)}
    log = bus.history(conversation, limit=1000)
    requests = {m.id: m for m in log if m.message_type == "request"}
    responses = [m for m in log if m.message_type == "response"]
    assert len(requests) == len(responses) == 24
    for response in responses:
        assert response.content == {"echo": requests[response.response_to].content}


def test_unknown_recipient_and_duplicate_names_are_refused(sqlite_db: Database) -> None:
    bus = Bus(sqlite_db)
    bus.register("writer", echo)
    with pytest.raises(BusError, match=r"No agent named 'critic'.*registered: writer"):
        bus.request("director", "critic", "review", {}, conversation_id="c")
    with pytest.raises(ValueError, match="already registered"):
        bus.register("writer", echo)
    assert bus.history() == []


def test_history_filters_by_conversation_and_novela_and_keeps_the_latest(db: Database) -> None:
    with db.session() as session:
        novela = Novela(
            title="Amor en Lima",
            target_episodes=1,
            scenes_per_episode=1,
            default_model_id="local-preview",
            default_duration=5,
            default_resolution="720p",
        )
        session.add(novela)
        session.flush()
        novela_id = novela.id
    bus = Bus(db)
    bus.register("writer", echo)
    for n in range(3):
        bus.send("director", "writer", "draft", {"n": n}, conversation_id="one", novela_id=novela_id)
    bus.send("director", "writer", "draft", {"n": 99}, conversation_id="two")

    assert [m.content for m in bus.history("one", limit=2)] == [{"n": 2}, {"echo": {"n": 2}}]
    assert len(bus.history(novela_id=novela_id)) == 6
    assert [m.conversation_id for m in bus.history("two")] == ["two", "two"]
    assert all(m.novela_id is None for m in bus.history("two"))
