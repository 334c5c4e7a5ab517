"""What the phone menu's tests share: a caller the clinic knows, a call's rows in the
database, the SMS confirmations drained, and the shape of a prompt in TwiML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.models import Call
from ivr.keys import IVR
from ivr.sms import SmsConfirmations
from testkit.phone import Phone

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
CALLER = "+48501000001"  # the phone of tests.factories.adult(n=1), born 1 May 1980
BORN = "01051980"


async def rows(db: Database, model: type[Any], *where: Any) -> list[Any]:
    async with db.read() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def the_call(db: Database, phone: Phone) -> Call:
    (call,) = await rows(db, Call, col(Call.call_sid) == phone.sid)
    assert isinstance(call, Call)
    return call


async def drain_sms(client: Client) -> None:
    confirmations = client.app[IVR].services.confirmations
    assert isinstance(confirmations, SmsConfirmations)
    await confirmations.drain()


def assert_prompt(phone: Phone, *, listens: str = "dtmf speech") -> None:
    """A prompt: what is said, a Gather that posts back, and a Redirect for silence."""
    assert phone.verbs()[-2:] == ["Gather", "Redirect"], phone.verbs()
    gather = phone.gather()
    assert gather.get("input") == listens
    assert gather.get("method") == "POST"
    assert gather.get("action") == phone.twiml.findtext("Redirect")
    assert gather.find("Say") is not None or phone.twiml.find("Say") is not None
