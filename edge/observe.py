"""What a face tells the root's measurements about the request it is answering: the step
of the journey the patient or caller answered, a label of the webhook's latency.

The root opens a `Marks` per request (a context variable, so it follows the request's
task and what it awaits); a face that knows its step calls `mark_step`. Without an
open `Marks` (tests, the worker) a mark goes nowhere.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Marks:
    step: str | None = None


CURRENT: ContextVar[Marks | None] = ContextVar("frontdesk_marks", default=None)


def mark_step(flow: str | None, step: str | None) -> None:
    """The journey and step the incoming message answers ("book.date"; "menu" outside)."""
    marks = CURRENT.get()
    if marks is not None and marks.step is None:
        marks.step = f"{flow}.{step}" if flow and step else flow or "menu"
