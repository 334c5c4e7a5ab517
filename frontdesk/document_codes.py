"""A document link, and its check code, sent by SMS through our Twilio client. The texts
name no document and no patient. A refusal is logged by its kind, never with the number,
the link or the code."""

from __future__ import annotations

import logging

from edge.i18n import Texts
from edge.twilio_rest import TwilioClient, TwilioError

log = logging.getLogger(__name__)


class SmsCodes:
    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def send_code(self, phone: str, code: str, language: str) -> None:
        await self._send(
            phone,
            Texts(language)._(
                "Your code to open a document: {code}. Do not share it with anyone.", code=code
            ),
        )

    async def send_link(self, phone: str, url: str, language: str) -> None:
        await self._send(
            phone,
            Texts(language)._(
                "A document from the clinic is ready for you. Open it once within 30 minutes "
                "(you will be asked to confirm who you are): {url}",
                url=url,
            ),
        )

    async def _send(self, phone: str, text: str) -> None:
        try:
            await self.client.send(phone, text)
        except TwilioError as exc:
            log.warning("document message not sent (%s)", type(exc).__name__)
            raise
