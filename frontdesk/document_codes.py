"""The check code of a document link, sent by SMS through our Twilio client. The text
names the clinic's purpose only: no document, no patient. A refusal is logged by its
kind, never with the number or the code."""

from __future__ import annotations

import logging

from edge.i18n import Texts
from edge.twilio_rest import TwilioClient, TwilioError

log = logging.getLogger(__name__)


class SmsCodes:
    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def send_code(self, phone: str, code: str, language: str) -> None:
        text = Texts(language)._(
            "Your code to open a document: {code}. Do not share it with anyone.", code=code
        )
        try:
            await self.client.send(phone, text)
        except TwilioError as exc:
            log.warning("document check code not sent (%s)", type(exc).__name__)
            raise
