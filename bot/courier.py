"""Sending a linking code to a card's contacts: the preferred one first, then the next.

Each messenger adapter registers how it reaches its kind of contact (a Telegram
chat, a WhatsApp or SMS number); the courier knows nothing of platforms.
"""

from __future__ import annotations

import logging
from typing import Protocol

from core.patients.linking import IssuedCode
from core.vocab import ContactKind
from edge.i18n import Texts

log = logging.getLogger(__name__)


class ContactSender(Protocol):
    async def send_text(self, address: str, text: str) -> None:
        """Deliver or raise: any exception means 'try the next contact'."""
        ...


class Courier:
    def __init__(self) -> None:
        self._senders: dict[ContactKind, ContactSender] = {}

    def register(self, kind: ContactKind, sender: ContactSender) -> None:
        self._senders[kind] = sender

    async def deliver_code(self, issued: IssuedCode, language: str) -> bool:
        """True once one contact took the code; the code itself is never logged."""
        texts = Texts(language)
        text = texts._(
            "Your code to link the clinic card: {code}. It is valid for 15 minutes. "
            "If you did not ask for it, ignore this message.",
            code=issued.code,
        )
        for contact in issued.contacts:
            sender = self._senders.get(contact.kind)
            if sender is None:
                continue
            try:
                await sender.send_text(contact.value, text)
            except Exception as exc:
                log.warning("code delivery via %s failed: %s", contact.kind, type(exc).__name__)
                continue
            return True
        log.warning("no contact of card %s could take a linking code", issued.patient_id)
        return False
