"""The Redis transport Celery uses: one synchronous client per channel pool, same messages."""

from __future__ import annotations

import uuid

from kombu import Connection, Exchange, Queue

from ainative.config import Settings
from ainative.runtime.broker import TRANSPORT, transport_for
from ainative.runtime.queue import make_celery


def test_celery_uses_the_transport_for_redis_urls_only(services) -> None:
    app = make_celery(Settings(redis_url=services.redis_url))
    try:
        with app.connection_for_write() as conn:
            assert type(conn.transport).__module__ == "ainative.runtime.broker"
    finally:
        app.close()
    assert transport_for("rediss://cache:6380/0") == TRANSPORT
    assert transport_for("sentinel://a:26379") is None


def test_publishes_reuse_one_client_until_the_pool_changes(services) -> None:
    name = f"broker-test-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with Connection(services.redis_url, transport=TRANSPORT) as conn:
        channel = conn.channel()
        first = channel._create_client()
        assert channel._create_client() is first
        producer = conn.Producer(channel)
        for i in range(3):
            producer.publish({"n": i}, exchange=queue.exchange, routing_key=name, declare=[queue])
        received = []
        with conn.Consumer(queue, callbacks=[lambda body, msg: (received.append(body), msg.ack())]):
            while len(received) < 3:
                conn.drain_events(timeout=10)
        assert [body["n"] for body in received] == [0, 1, 2]
        channel._pool = None  # kombu drops a pool after a connection error
        assert channel._create_client() is not first
        queue(channel).delete()
