"""Fixtures of the edge's tests: the fake Twilio on loopback, under the name Twilio's REST
client's tests give it."""

from __future__ import annotations

import pytest

from testkit.fakes.twilio import FakeTwilio


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    return twilio
