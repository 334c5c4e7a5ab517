"""One slot wanted at once by a patient in the chat and by a partner through `/fhir`:
the database lets exactly one have it, on SQLite and PostgreSQL, and the partner that
loses is told so plainly (409, an OperationOutcome of a conflict)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from core.actors import Actor
from core.booking.confirm import confirm_hold
from core.errors import SlotTaken
from core.models import Booking
from core.vocab import Channel
from frontdesk import keys
from testkit.factories import adult, count_rows, warsaw_at
from testkit.fhir_api import parameters, patient, start_fhir, valid


@pytest.fixture
async def api(aiohttp_client, database_url, db, clock):
    return await start_fhir(aiohttp_client, database_url, db, clock)


def _chat(api, patient_id: int, start: datetime):
    """What the chat does when a patient picks a time and confirms it."""
    booking = api.client.app[keys.SERVICES].booking
    c = api.clinic

    async def hold_and_confirm() -> Booking:
        ticket = await booking.hold(Channel.TELEGRAM, c.consult.id, c.internist.id, start)
        return await confirm_hold(
            booking,
            Actor.patient(patient_id, Channel.TELEGRAM),
            service_id=c.consult.id,
            doctor_id=c.internist.id,
            start_at=start,
            hold_token=ticket.token,
        )

    return hold_and_confirm()


async def _partner_books(api, option_id: str):
    body = parameters(appointment_reference=f"Appointment/{option_id}", patient=patient())
    response = await api.client.post(
        "/fhir/Appointment/$book",
        json=body,
        headers={
            "Authorization": f"Bearer {api.tokens['luxmed']}",
            "Content-Type": "application/fhir+json",
        },
    )
    return response.status, valid(await response.json(content_type=None))


# How long the chat waits before it goes for the slot, round by round: at first it is
# there before the partner's request has crossed HTTP, later both meet in the database,
# at last the partner is first. Whoever wins, one only.
STAGGER = (0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.25)


async def _late(delay: float, racer):
    await asyncio.sleep(delay)
    return await racer


async def test_the_chat_and_a_partner_race_for_one_slot(api, db, clock):
    someone = await adult(db, clock)
    options = await api.find(warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 12), _count="8")
    wins = {"chat": 0, "partner": 0}
    for delay, option in zip(STAGGER, options, strict=True):
        start = datetime.fromisoformat(option["start"])
        (status, body), chat = await asyncio.gather(
            _partner_books(api, option["id"]),
            _late(delay, _chat(api, someone, start)),
            return_exceptions=True,
        )
        if status == 200:
            assert isinstance(chat, SlotTaken)
            wins["partner"] += 1
        else:
            assert isinstance(chat, Booking), chat
            assert status == 409
            [issue] = body["issue"]
            assert issue["code"] == "conflict"
            assert issue["details"]["coding"][0]["code"] == "slot_taken"
            wins["chat"] += 1
    assert sum(wins.values()) == len(STAGGER)
    assert await count_rows(db, Booking) == len(STAGGER)  # one booking a slot, never two


async def test_a_time_held_in_the_chat_is_not_the_partners_and_the_other_way_round(api, db, clock):
    someone = await adult(db, clock)
    first, second = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="2")
    c = api.clinic
    booking = api.client.app[keys.SERVICES].booking
    await booking.hold(
        Channel.TELEGRAM, c.consult.id, c.internist.id, datetime.fromisoformat(first["start"])
    )
    for outcome in (
        await api.hold(first["id"], status=409),
        await api.book(first["id"], status=409),
    ):
        assert outcome["issue"][0]["code"] == "conflict"

    await api.hold(second["id"])
    with pytest.raises(SlotTaken):
        await _chat(api, someone, datetime.fromisoformat(second["start"]))
    assert await count_rows(db, Booking) == 0
