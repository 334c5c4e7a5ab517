"""Latency samples and their percentiles."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Latency:
    """Percentiles of one operation's latency, in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        ordered = sorted(seconds)
        return cls(
            n=len(ordered),
            p50=percentile(ordered, 50) * 1000,
            p95=percentile(ordered, 95) * 1000,
            p99=percentile(ordered, 99) * 1000,
        )


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile of sorted values, linearly interpolated."""
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def measure(calls: Sequence[Call], *, budget_s: float, minimum: int) -> list[float]:
    """Seconds each call took, in order; stop once `budget_s` is spent and `minimum` are done."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
        if len(samples) >= minimum and time.perf_counter() > deadline:
            break
    return samples
