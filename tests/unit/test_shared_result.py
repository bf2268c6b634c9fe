"""api.shared_result: callers within the ttl share one computation; failures are not kept."""

from __future__ import annotations

import asyncio

import pytest

from api.shared_result import SharedResult


def test_concurrent_callers_share_one_computation_and_a_new_key_computes_again() -> None:
    calls: list[str] = []

    async def main() -> list[int]:
        shared: SharedResult[int] = SharedResult(ttl=60)

        def compute(key: str, value: int):
            async def run() -> int:
                calls.append(key)
                await asyncio.sleep(0.01)
                return value

            return run

        results = await asyncio.gather(*(shared.get("a", compute("a", 1)) for _ in range(5)))
        results.append(await shared.get("a", compute("a", 2)))  # still fresh: the first
        results.append(await shared.get("b", compute("b", 3)))
        return results

    assert asyncio.run(main()) == [1, 1, 1, 1, 1, 1, 3]
    assert calls == ["a", "b"]


def test_an_expired_or_failed_result_is_computed_again() -> None:
    async def main() -> list[int]:
        shared: SharedResult[int] = SharedResult(ttl=0)
        out = [await shared.get("k", _value(1)), await shared.get("k", _value(2))]
        failing: SharedResult[int] = SharedResult(ttl=60)
        with pytest.raises(RuntimeError):
            await failing.get("k", _boom)
        out.append(await failing.get("k", _value(3)))
        return out

    assert asyncio.run(main()) == [1, 2, 3]


def _value(value: int):
    async def run() -> int:
        return value

    return run


async def _boom() -> int:
    raise RuntimeError("boom")
