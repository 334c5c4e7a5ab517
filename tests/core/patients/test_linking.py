"""Linking codes: single use, expiry, hashed at rest, throttled, and revealing nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.errors import LinkCodeInvalid, Throttled
from core.models import LinkCode
from core.patients.cards import PatientDraft, PatientService
from core.patients.identity import fold_name
from core.patients.linking import LinkingService, LinkPolicy
from core.throttle import Limit
from core.vocab import Channel, ContactKind

SECRET = b"test-linking-secret-0123456789"


@pytest.fixture
async def card(db, clock) -> int:
    patient = await PatientService(db, clock).register(
        PatientDraft(
            first_name="Łucja",
            last_name="Wiśniewska",
            birth_date=date(1990, 2, 3),
            contacts={ContactKind.PHONE: "501 100 200", ContactKind.EMAIL: "lw@example.pl"},
        )
    )
    assert patient.id is not None
    return patient.id


def test_names_match_without_case_or_diacritics():
    assert fold_name("  Łucja ") == fold_name("lucja") == "lucja"
    assert fold_name("WIŚNIEWSKA") == fold_name("wisniewska")


async def test_a_code_binds_the_chat_once(db, clock, card):
    linking = LinkingService(db, clock, SECRET)
    issued = await linking.issue(card)
    assert len(issued.code) == 9
    assert issued.code.isdigit()
    assert [c.kind for c in issued.contacts] == [ContactKind.PHONE, ContactKind.EMAIL]
    assert (
        await linking.redeem(Channel.TELEGRAM, "111", f"{issued.code[:3]} {issued.code[3:]}")
        == card
    )
    assert await linking.linked_patient(Channel.TELEGRAM, "111") == card
    with pytest.raises(LinkCodeInvalid):
        await linking.redeem(Channel.TELEGRAM, "222", issued.code)
    async with db.read() as session:
        stored = (await session.execute(select(LinkCode))).scalars().one()
    assert issued.code not in stored.code_hash  # only a keyed hash is kept
    await linking.unlink(Channel.TELEGRAM, "111")
    assert await linking.linked_patient(Channel.TELEGRAM, "111") is None


async def test_codes_expire_and_a_new_one_replaces_the_old(db, clock, card):
    linking = LinkingService(db, clock, SECRET)
    old = await linking.issue(card)
    new = await linking.issue(card)
    with pytest.raises(LinkCodeInvalid):
        await linking.redeem(Channel.WHATSAPP, "+48501100200", old.code)
    clock.advance(linking.policy.code_ttl + timedelta(seconds=1))
    with pytest.raises(LinkCodeInvalid):
        await linking.redeem(Channel.WHATSAPP, "+48501100200", new.code)


async def test_guessing_is_throttled_per_chat(db, clock, card):
    linking = LinkingService(
        db, clock, SECRET, LinkPolicy(redeem_per_chat=Limit(5, timedelta(minutes=15)))
    )
    issued = await linking.issue(card)
    wrong = f"{(int(issued.code) + 1) % 10**9:09d}"
    outcomes = await asyncio.gather(
        *(linking.redeem(Channel.TELEGRAM, "666", wrong) for _ in range(20)), return_exceptions=True
    )
    assert sum(isinstance(o, LinkCodeInvalid) for o in outcomes) == 5
    assert sum(isinstance(o, Throttled) for o in outcomes) == 15
    with pytest.raises(Throttled):  # even the right code, until the window passes
        await linking.redeem(Channel.TELEGRAM, "666", issued.code)
    assert await linking.redeem(Channel.TELEGRAM, "777", issued.code) == card  # another chat
    clock.advance(timedelta(minutes=16))
    with pytest.raises(LinkCodeInvalid):
        await linking.redeem(Channel.TELEGRAM, "666", issued.code)  # used by now, but heard


async def test_asking_by_name_and_birth_date(db, clock, card):
    linking = LinkingService(db, clock, SECRET)
    issued = await linking.request(Channel.TELEGRAM, "5", "LUCJA", "wisniewska", date(1990, 2, 3))
    assert issued is not None
    assert issued.patient_id == card
    assert (
        await linking.request(Channel.TELEGRAM, "5", "Łucja", "Wiśniewska", date(1990, 2, 4))
        is None
    )
    # The third request from this chat is the last one allowed this hour.
    assert await linking.request(Channel.TELEGRAM, "5", "Anna", "Nowak", date(1990, 2, 3)) is None
    with pytest.raises(Throttled):
        await linking.request(Channel.TELEGRAM, "5", "Łucja", "Wiśniewska", date(1990, 2, 3))


async def test_requests_for_one_card_from_many_chats_stop_silently(db, clock, card):
    linking = LinkingService(db, clock, SECRET)
    answers = [
        await linking.request(Channel.TELEGRAM, str(chat), "Łucja", "Wiśniewska", date(1990, 2, 3))
        for chat in range(5)
    ]
    assert [a is not None for a in answers] == [True, True, True, False, False]
