"""WhatsApp and SMS as ways to reach a card's contact (bot/whatsapp/notify.py): a linking code
goes to WhatsApp, and by SMS once outside WhatsApp's 24-hour window."""

from __future__ import annotations

from bot.keys import DIALOG
from core.models import Contact
from core.patients.linking import IssuedCode
from core.vocab import ContactKind
from testkit.fakes.twilio import PATIENT, SENDER, SMS_SENDER, FakeTwilio, outside_window
from testkit.whatsapp_face import MakeClient
from tests.conftest import NOW


async def test_a_linking_code_goes_to_whatsapp_then_falls_back_to_sms(
    make_client: MakeClient, fake: FakeTwilio
) -> None:
    client = await make_client(twilio_sms_from=SMS_SENDER)
    courier = client.app[DIALOG].services.courier
    assert courier is not None
    contacts = [
        Contact(patient_id=1, kind=ContactKind.WHATSAPP, value=PATIENT),
        Contact(patient_id=1, kind=ContactKind.PHONE, value="+48501000999"),
    ]
    issued = IssuedCode(patient_id=1, code="123456789", expires_at=NOW, contacts=contacts)

    assert await courier.deliver_code(issued, "pl")  # WhatsApp takes it
    fake.fail_next(outside_window())  # the patient last wrote more than 24 hours ago
    assert await courier.deliver_code(issued, "pl")  # so SMS does

    whatsapp, sms = fake.messages
    assert (whatsapp.to, whatsapp.from_) == (f"whatsapp:{PATIENT}", SENDER)
    assert (sms.to, sms.from_) == ("+48501000999", SMS_SENDER)
    assert "123456789" in whatsapp.body
    assert "123456789" in sms.body
