"""The SMS that confirms a visit booked or moved by phone, sent through our Twilio REST
client after the webhook has answered (the caller never waits for Twilio Messaging).

A sent confirmation is recorded on the booking (communication status); a refused one is
logged by Twilio's code only, never with the number or the text.
"""

from __future__ import annotations

import asyncio
import logging

from core.actors import Actor
from core.booking.service import BookingService
from core.clinic.catalog import Catalog
from core.models import Booking
from core.vocab import CommunicationStatus
from edge.i18n import Texts
from edge.twilio_rest import TwilioClient, TwilioError
from ivr.turn import Confirmations

log = logging.getLogger(__name__)


class SmsConfirmations(Confirmations):
    def __init__(self, client: TwilioClient, catalog: Catalog, booking: BookingService) -> None:
        self.client = client
        self.catalog = catalog
        self.booking = booking
        self._pending: set[asyncio.Task[None]] = set()

    def confirm(self, booking: Booking, phone: str, language: str) -> None:
        task = asyncio.create_task(self._send(booking, phone, language), name="sms-confirmation")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for the confirmations under way (at shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def text(self, booking: Booking, language: str) -> str:
        t = Texts(language)
        branch = await self.catalog.branch(booking.branch_id)
        discreet = (await self.catalog.service(booking.service_id)).discreet
        doctors = {} if discreet else await self.catalog.doctor_names()  # no hint of what for
        return t._(
            "{clinic}: your visit {when}, {doctor}, {branch}, {address}, {city}.",
            clinic=await self.catalog.clinic_name(),
            when=t.when(booking.start_at, branch.timezone),
            doctor=doctors.get(booking.doctor_id, ""),
            branch=branch.name,
            address=branch.address,
            city=branch.city,
        )

    async def _send(self, booking: Booking, phone: str, language: str) -> None:
        assert booking.id is not None
        try:
            await self.client.send(phone, await self.text(booking, language))
            await self.booking.set_communication_status(
                Actor.system(), booking.id, CommunicationStatus.CONFIRMATION_SENT
            )
        except TwilioError as error:
            log.warning(
                "sms confirmation not sent: twilio code %s (HTTP %s)", error.code, error.status
            )
        except Exception:
            log.exception("sms confirmation failed")
