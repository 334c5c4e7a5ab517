"""Sending after the webhook has answered (bot/telegram/sends.py): in order per chat, a
failing job not holding up the rest, and closing cancelling what outlasts the drain."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from bot.telegram import sends as sends_module
from bot.telegram.sends import ChatQueues


async def test_sends_keep_their_order_per_chat_and_survive_a_failing_job() -> None:
    queues = ChatQueues()
    done: list[str] = []
    gate = asyncio.Event()

    async def job(name: str, wait: bool = False, fail: bool = False) -> None:
        if wait:
            await gate.wait()
        if fail:
            raise RuntimeError("boom")
        done.append(name)

    queues.submit(1, partial(job, "1a", wait=True))
    queues.submit(1, partial(job, "1b", fail=True))
    queues.submit(1, partial(job, "1c"))
    queues.submit(2, partial(job, "2a"))
    await asyncio.sleep(0.01)
    assert done == ["2a"]  # another chat is not held up by the first one
    gate.set()
    await queues.drain()
    assert done == ["2a", "1a", "1c"]


async def test_closing_cancels_sends_that_outlast_the_drain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sends_module, "DRAIN_SECONDS", 0.05)
    queues = ChatQueues()
    never = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    queues.submit(1, stuck)

    await queues.close()
    await asyncio.sleep(0)  # let the cancellation land

    assert cancelled == [True]
