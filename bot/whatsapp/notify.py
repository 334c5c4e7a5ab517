"""Notifications by WhatsApp and by SMS, both through Twilio's Messages API.

WhatsApp: the notice as the dialog would render it (numbered options). The
options are stored as the chat's current buttons, so the patient's "1" means
"I will come" as it would in a conversation. Outside the 24-hour window
WhatsApp takes only an approved template: the configured Content SID with the
visit's date, time and address as its variables (1, 2, 3); without one, the
channel is skipped for the next (SMS).

SMS: the notice's text alone, no options: it is the least private channel and
the one that costs per message, so it carries only what the template says.
"""

from __future__ import annotations

from bot.notices import reply_words, word
from bot.whatsapp.render import render_turn
from core.messaging.chats import ConversationStore
from core.messaging.port import Outgoing, TryLater, Undeliverable
from core.vocab import Channel
from edge.twilio_rest import OutsideSessionWindow, TwilioClient, TwilioError, TwilioUnavailable


def _refusal(error: TwilioError) -> Exception:
    if isinstance(error, TwilioUnavailable) or error.status == 429 or error.status >= 500:
        return TryLater(f"twilio {error.code} (HTTP {error.status})")
    return Undeliverable(f"twilio {error.code} (HTTP {error.status})")


class WhatsAppSender:
    def __init__(
        self, client: TwilioClient, chats: ConversationStore, content_sid: str | None = None
    ) -> None:
        self.client = client
        self.chats = chats
        self.content_sid = content_sid

    async def send(self, address: str, message: Outgoing) -> str:
        reply = word(message)
        sids = []
        try:
            for body in render_turn([reply]):
                sids.append((await self.client.send(address, body)).sid)
        except OutsideSessionWindow:
            return await self._template(address, message)
        except TwilioError as error:
            raise _refusal(error) from None
        if reply.buttons:
            await self.chats.offer_buttons(
                Channel.WHATSAPP, address, reply.payloads(), message.language
            )
        return ",".join(sids)

    async def _template(self, address: str, message: Outgoing) -> str:
        if self.content_sid is None:
            raise Undeliverable("outside the 24-hour window and no template configured")
        p = message.params
        variables = {"1": p.get("date", ""), "2": p.get("time", ""), "3": p.get("address", "")}
        try:
            return (await self.client.send_template(address, self.content_sid, variables)).sid
        except TwilioError as error:
            raise _refusal(error) from None


class SmsSender:
    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def send(self, address: str, message: Outgoing) -> str:
        if message.offer_id is not None:
            raise Undeliverable("an offer needs an answer, and SMS brings none back")
        text = " ".join(filter(None, (word(message).text, reply_words(message))))
        try:
            return (await self.client.send(address, text)).sid
        except TwilioError as error:
            raise _refusal(error) from None


class TwilioTexts:
    """A card's WhatsApp number or phone as the courier's `ContactSender` (linking codes):
    delivered or raised, so the courier moves on to the card's next contact."""

    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def send_text(self, address: str, text: str) -> None:
        await self.client.send(address, text)
