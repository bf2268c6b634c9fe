"""The fake OpenAI server speaks the real SDK's protocol, plain and streamed, sync and async."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAIServer, split_reply

REPO_ROOT = Path(__file__).resolve().parents[2]
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Why does my loop stop early?"}
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def control(fake: FakeOpenAIServer, **kwargs: object) -> None:
    httpx.post(f"{fake.root_url}/_control", json=kwargs, timeout=5).raise_for_status()


def sync_client(fake: FakeOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="sk-fake", max_retries=0)


def async_client(fake: FakeOpenAIServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-fake", max_retries=0)


def test_plain_completion_sync(fake: FakeOpenAIServer) -> None:
    reply = sync_client(fake).chat.completions.create(model="fake-model", messages=MESSAGES)
    assert reply.choices[0].message.content == DEFAULT_REPLY
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens == len(DEFAULT_REPLY) // 4


async def test_plain_completion_async(fake: FakeOpenAIServer) -> None:
    client = async_client(fake)
    reply = await client.chat.completions.create(model="fake-model", messages=MESSAGES)
    await client.close()
    assert reply.choices[0].message.content == DEFAULT_REPLY


def test_stream_sync_assembles_the_reply_with_usage(fake: FakeOpenAIServer) -> None:
    stream = sync_client(fake).chat.completions.create(
        model="fake-model",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == DEFAULT_REPLY
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == len(split_reply(DEFAULT_REPLY)) > 1
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0


async def test_stream_async_without_usage(fake: FakeOpenAIServer) -> None:
    control(fake, reply="Look at the loop bound.", chunk_delay=0.01)
    client = async_client(fake)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]
    await client.close()
    contents = [c.choices[0].delta.content for c in chunks]
    assert contents == ["Look ", "at ", "the ", "loop ", "bound.", None]
    assert all(c.usage is None for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"


def test_raw_stream_is_server_sent_events_ending_in_done(fake: FakeOpenAIServer) -> None:
    r = httpx.post(
        f"{fake.base_url}/chat/completions",
        json={"model": "m", "messages": MESSAGES, "stream": True},
        timeout=10,
    )
    assert r.headers["content-type"].startswith("text/event-stream")
    events = re.findall(r"^data: (.*)$", r.text, flags=re.M)
    assert events[-1] == "[DONE]"
    assert all('"object": "chat.completion.chunk"' in e for e in events[:-1])


@pytest.mark.parametrize("stream", [False, True])
def test_failures_are_http_errors_in_both_modes(fake: FakeOpenAIServer, stream: bool) -> None:
    control(fake, fail_next=1, fail_status=503)
    client = sync_client(fake)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
    assert info.value.status_code == 503
    again = client.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
    assert again is not None  # only the next one failed


def test_requests_are_recorded_and_cleared(fake: FakeOpenAIServer) -> None:
    sync_client(fake).chat.completions.create(model="fake-model", messages=MESSAGES)
    log = httpx.get(f"{fake.root_url}/_requests").json()
    assert log[-1]["body"]["messages"] == MESSAGES
    assert log[-1]["authorization"] == "Bearer sk-fake"
    control(fake, clear=True, record=False)
    sync_client(fake).chat.completions.create(model="fake-model", messages=MESSAGES)
    assert httpx.get(f"{fake.root_url}/_requests").json() == []
    models = sync_client(fake).models.list()
    assert [m.id for m in models.data] == ["fake-model"]


async def test_slow_calls_wait_as_coroutines_not_threads(fake: FakeOpenAIServer) -> None:
    """Many calls in flight at once, and the fake's process gains no thread for them."""
    control(fake, latency=120.0, record=False)
    threads_before = threading.active_count()
    calls = 40
    async with aiohttp.ClientSession() as session:

        async def call() -> None:
            url = f"{fake.base_url}/chat/completions"
            async with session.post(url, json={"messages": MESSAGES}) as response:
                await response.read()

        callers = [asyncio.create_task(call()) for _ in range(calls)]
        in_flight, deadline = 0, time.monotonic() + 60
        while in_flight < calls and time.monotonic() < deadline:
            async with session.get(f"{fake.root_url}/_stats") as response:
                in_flight = (await response.json())["in_flight"]
            await asyncio.sleep(0.05)
        assert in_flight == calls
        threads_during = threading.active_count()
        for task in callers:
            task.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
        while in_flight and time.monotonic() < deadline:  # hung-up calls stop counting
            async with session.get(f"{fake.root_url}/_stats") as response:
                in_flight = (await response.json())["in_flight"]
            await asyncio.sleep(0.05)
    assert threads_during < threads_before + calls // 2
    assert in_flight == 0


def test_runs_as_its_own_process_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--port", "0", "--latency", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.rsplit(" ", 1)[-1].strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        reply = openai.OpenAI(base_url=base_url, api_key="x").chat.completions.create(
            model="m", messages=MESSAGES
        )
        assert reply.choices[0].message.content == DEFAULT_REPLY
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_stop_ends_the_serving_thread() -> None:
    server = FakeOpenAIServer().start()
    assert server.thread is not None and server.thread.is_alive()
    await asyncio.to_thread(server.stop)
    assert not server.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.root_url}/v1/models", timeout=2)
