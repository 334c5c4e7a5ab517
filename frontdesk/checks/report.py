"""A finding of `frontdesk check` and the report they make: one line each, the blocking
ones first, and whether the deployment may run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    """How much a finding matters; the report lists the worst first."""

    BLOCKS = 0  # the deployment must not run like this: exit status 1
    WARNS = 1  # works, but not as a clinic would want
    OK = 2


_LABEL = {Level.BLOCKS: "BLOCKS", Level.WARNS: "warning", Level.OK: "ok"}


@dataclass(frozen=True)
class Finding:
    level: Level
    subject: str  # what it is about: a variable, "database", "Telegram", a number
    text: str  # plain words: what is wrong and what to do, never a secret's value


def blocks(subject: str, text: str) -> Finding:
    return Finding(Level.BLOCKS, subject, text)


def warns(subject: str, text: str) -> Finding:
    return Finding(Level.WARNS, subject, text)


def ok(subject: str, text: str) -> Finding:
    return Finding(Level.OK, subject, text)


def blocking(findings: Sequence[Finding]) -> bool:
    return any(f.level is Level.BLOCKS for f in findings)


def render(findings: Sequence[Finding]) -> str:
    """The report: the worst first, then in the order found; a verdict last."""
    ordered = sorted(findings, key=lambda f: f.level)  # stable: order found within a level
    lines = [f"{_LABEL[f.level]:<8} {f.subject}: {f.text}" for f in ordered]
    worst = sum(f.level is Level.BLOCKS for f in findings)
    warned = sum(f.level is Level.WARNS for f in findings)
    if worst:
        lines.append(f"{worst} problem(s) block this deployment, {warned} warning(s).")
    else:
        lines.append(f"Nothing blocks this deployment; {warned} warning(s).")
    return "\n".join(lines) + "\n"
