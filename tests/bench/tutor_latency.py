"""Submit -> answer latency against a running platform (`make run` in another shell).

    python -m tests.bench.tutor_latency --api http://127.0.0.1:8080 --questions 100

Registers a throwaway student, asks N distinct questions (distinct so none is a
cache hit) a few at a time, waits for each answer with the long-poll endpoint and
prints the median and p95 of submit -> answer, plus the same for a cache hit.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from ainative.tutor.modes import DEFAULT_MODE


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _register(client: httpx.Client) -> dict[str, str]:
    name = f"bench{uuid.uuid4().hex[:8]}"
    password = "Bench-pass-1"
    client.post(
        "/api/v1/auth/register",
        json={"email": f"{name}@example.org", "username": name, "password": password},
    ).raise_for_status()
    token = client.post("/api/v1/auth/login", json={"username": name, "password": password})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def ask(client: httpx.Client, headers: dict[str, str], prompt: str) -> tuple[float, bool]:
    """Seconds from submit to a finished answer, and whether it was a cache hit."""
    start = time.perf_counter()
    r = client.post(
        "/api/v1/tutor/requests", json={"prompt": prompt, "mode": DEFAULT_MODE}, headers=headers
    )
    r.raise_for_status()
    body = r.json()
    while body["status"] not in ("done", "error"):
        body = client.get(
            f"/api/v1/tutor/requests/{body['id']}", params={"wait": 30}, headers=headers
        ).json()
    if body["status"] != "done":
        raise RuntimeError(f"interaction {body['id']} ended in {body['status']}")
    return time.perf_counter() - start, r.status_code == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8080")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with httpx.Client(base_url=args.api, timeout=60) as client:
        headers = _register(client)
        # Raise this student's quota out of the way is an admin's job; the default is 30/h,
        # so the benchmark spreads its questions over several throwaway students.
        per_student = 25
        students = [headers] + [_register(client) for _ in range(args.questions // per_student)]
        prompts = [
            (
                students[i // per_student],
                f"Why does my loop variant {i} raise IndexError? {uuid.uuid4()}",
            )
            for i in range(args.questions)
        ]
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda hp: ask(client, *hp), prompts))
        misses = [t for t, hit in results if not hit]
        hit_time, hit = ask(client, prompts[0][0], prompts[0][1])
    print(f"questions: {len(results)} (cache misses {len(misses)}), concurrency {args.concurrency}")
    print(
        f"submit->answer: median {statistics.median(misses) * 1000:.0f} ms, "
        f"p95 {_percentile(misses, 0.95) * 1000:.0f} ms, max {max(misses) * 1000:.0f} ms"
    )
    print(f"repeat question: {hit_time * 1000:.0f} ms (cache hit: {hit})")


if __name__ == "__main__":
    main()
