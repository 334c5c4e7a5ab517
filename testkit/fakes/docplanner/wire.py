"""What the fake Docplanner shows to its observers: every HTTP exchange as it went over the
wire, and every notification body the portal produced. The contract check (in tests/) is
such an observer; it is given to a fake (`FakeDocplanner(observers=...)`, the rig's
`observers=`), or watches every fake made while `watch(observer)` lasts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Exchange:
    """One request to the fake and its answer, as bytes and headers."""

    method: str
    path: str  # percent-decoded, as the server routes it
    query: tuple[tuple[str, str], ...]  # decoded as a form ("+" is a space)
    headers: Mapping[str, str]
    body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes
    injected: bool  # a failure asked for with fail_next/down, not the fake's own answer

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def response_content_type(self) -> str:
        return self.response_headers.get("Content-Type", "")


class Observer(Protocol):
    def exchange(self, exchange: Exchange) -> None: ...

    def notification(self, body: Mapping[str, Any]) -> None: ...


watchers: list[Observer] = []
WatcherT = TypeVar("WatcherT", bound=Observer)


@contextmanager
def watch(observer: WatcherT) -> Iterator[WatcherT]:
    """Every fake Docplanner made meanwhile reports to `observer` (a test's fixture)."""
    watchers.append(observer)
    try:
        yield observer
    finally:
        watchers.remove(observer)
