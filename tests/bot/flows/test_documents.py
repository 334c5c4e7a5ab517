"""My documents in the chat (one journey for Telegram and WhatsApp): a link to one's own
document that names nothing of it; sharing with a family member for a window, seeing and
revoking it; a grantee's chat offered what was shared, and nothing once it is revoked."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core.patients.linking import LinkingService
from core.vocab import Channel
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.documents import ADMIN, MARKERS, PDF, desk, lab_result
from testkit.factories import adult, small_clinic

LINK = re.compile(r"https://clinic\.example/documents/open/(\S+)")


async def _linked(db, clock, dialog, n: int, channel: Channel, chat_id: str) -> tuple[int, Chat]:
    patient = await adult(db, clock, n)
    code = (await LinkingService(db, clock, SECRET).issue(patient)).code
    chat = Chat(dialog, channel=channel, chat_id=chat_id, language="en")
    await chat.send("/start")
    await chat.send(payload="lang:en")
    await chat.send(f"/start {code}")
    return patient, chat


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.WHATSAPP])
async def test_a_patient_opens_shares_and_revokes(db, clock, channel):
    clinic = await small_clinic(db, clock, days=1)
    d = desk(db, clock)
    dialog = make_dialog(db, clock, documents=d)
    patient, chat = await _linked(db, clock, dialog, 1, channel, "5001")
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    await chat.send(payload="m:docs")
    assert "Laboratory result" in " ".join(chat.buttons())
    await chat.send(payload=chat.first_button(f"dop:{document.id}"))
    token = LINK.search(chat.text)
    assert token is not None
    for marker in MARKERS:
        assert marker not in chat.text
        assert marker not in " ".join(chat.buttons())
    assert (await d.links.open(token[1], birth_date=date(1980, 5, 1))).content == PDF

    await chat.send(payload="m:docs")
    await chat.send(payload=chat.first_button("share"))
    await chat.send(payload=chat.first_button("gk:family"))
    await chat.send("not a phone")
    assert "phone number" in chat.text
    await chat.send("+48 501 000 002")
    await chat.send(payload=chat.first_button("gd:7"))
    assert "ending in 002" in chat.text
    [grant] = await d.consents.of_patient(patient)
    assert grant.phone == "+48501000002"

    # the family member, with a card of their own linked in their chat
    _, relative = await _linked(db, clock, dialog, 2, channel, "5002")
    await relative.send(payload="m:docs")
    await relative.send(payload=relative.first_button("shared"))
    await relative.send(payload=relative.first_button(f"gdo:{grant.id}:{document.id}"))
    shared = LINK.search(relative.text)
    assert shared is not None
    await d.links.send_code(shared[1])
    assert d.codes.sent[-1][0] == "+48501000002"
    assert (await d.links.open(shared[1], code=d.codes.last_code)).content == PDF

    await chat.send(payload="m:docs")
    await chat.send(payload=chat.first_button("grants"))
    assert "…002" in chat.text
    await chat.send(payload=chat.first_button(f"grv:{grant.id}"))
    assert "Revoked" in chat.text
    await relative.send(payload="m:docs")
    await relative.send(payload=relative.first_button("shared"))
    assert "Nobody has shared" in relative.text


async def test_another_patients_document_is_not_found(db, clock):
    clinic = await small_clinic(db, clock, days=1)
    d = desk(db, clock)
    dialog = make_dialog(db, clock, documents=d)
    _, chat = await _linked(db, clock, dialog, 1, Channel.TELEGRAM, "6001")
    other = await adult(db, clock, 3)
    theirs = await d.documents.add(ADMIN, lab_result(other, clinic.branch.id))
    await chat.send(payload="m:docs")
    await chat.send(payload=f"{chat.payload('Menu').split('|')[0]}|dop:{theirs.id}")
    assert LINK.search(chat.text) is None
    assert "cannot find" in chat.text
