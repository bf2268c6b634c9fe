"""The worker's stream writer against a real Redis: what readers find, folded but complete."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ainative.tutor.stream_guard import Release
from ainative.tutor.streaming.entries import stream_key
from ainative.tutor.streaming.writer import StreamPublisher, StreamWriter
from tests.support.eventually import eventually

LONG_GAP = 600.0  # later deltas never leave on their own: only urgent entries flush them


@pytest.fixture
def client(services) -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(services.redis_url, decode_responses=True)
    yield c
    c.close()


def entries(client: redis.Redis, interaction_id: str) -> list[tuple[str, str]]:
    return [(f["type"], f["text"]) for _, f in client.xrange(stream_key(interaction_id))]


def publisher(client: redis.Redis, gap: float) -> StreamPublisher:
    return StreamPublisher(StreamWriter(client, ttl_seconds=60, gap=gap), str(uuid.uuid4()))


def shown(found: list[tuple[str, str]]) -> str:
    """What a reader ends up showing: resets replace, deltas append."""
    text = ""
    for kind, piece in found:
        text = piece if kind == "reset" else text + piece
    return text


def test_pending_deltas_fold_into_one_entry_and_the_end_follows_them(client) -> None:
    stream = publisher(client, LONG_GAP)
    words = ["Good ", "question. ", "What ", "does ", "it ", "print?"]
    stream.publish(Release("", reset=True))
    for word in words:
        stream.publish(Release(word))
    stream.end()  # urgent: takes the waiting deltas with it, and returns once written
    found = entries(client, stream.interaction_id)
    assert shown(found) == "".join(words)
    assert found[-1] == ("end", "")
    # the reset and the first text may leave at once; the later words wait for the gap,
    # which only the end cuts short: one entry for all of them
    assert len(found) <= 4 < len(words) + 2
    assert 0 < client.ttl(stream.key) <= 60


def test_a_reset_replaces_text_no_reader_has_seen(client) -> None:
    stream = publisher(client, LONG_GAP)
    stream.publish(Release("Here "))
    # the first text leaves at once; what follows waits for the gap
    eventually(lambda: client.xlen(stream.key), 30, interval=0.01)
    stream.publish(Release("is the whole program"))
    stream.publish(Release("Let's take it step by step.", reset=True))
    stream.end()
    assert entries(client, stream.interaction_id) == [
        ("delta", "Here "),
        ("reset", "Let's take it step by step."),
        ("end", ""),
    ]


def test_with_no_gap_every_release_is_written_in_order(client) -> None:
    stream = publisher(client, 0.0)
    words = [f"w{i} " for i in range(50)]
    for word in words:
        stream.publish(Release(word))
    stream.end()
    found = entries(client, stream.interaction_id)
    assert found[-1] == ("end", "")
    assert shown(found) == "".join(words)
    assert {kind for kind, _ in found[:-1]} == {"delta"}


def test_streams_of_many_interactions_share_one_writer(client) -> None:
    writer = StreamWriter(client, ttl_seconds=60, gap=0.01)
    streams = [StreamPublisher(writer, str(uuid.uuid4())) for _ in range(20)]
    for round_ in range(5):
        for i, stream in enumerate(streams):
            stream.publish(Release(f"{i}.{round_} "))
    for stream in streams:
        stream.end()
    for i, stream in enumerate(streams):
        found = entries(client, stream.interaction_id)
        assert shown(found) == "".join(f"{i}.{r} " for r in range(5))
        assert found[-1] == ("end", "")


def test_redis_down_loses_the_stream_not_the_answer(caplog) -> None:
    dead = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    stream = publisher(dead, 0.0)

    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "answer streams unavailable" in r.getMessage()]

    with caplog.at_level(logging.WARNING, logger="ainative.tutor.streaming.writer"):
        stream.publish(Release("Good question."))
        stream.end()  # returns: a failed send counts as sent
        eventually(warnings, 30, interval=0.01)
        stream.publish(Release("more"))
        stream.end()
    assert len(warnings()) == 1  # logged once per outage, not per entry
