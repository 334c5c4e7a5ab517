"""The web chat as a notification channel: the page fetches the desk's replies itself
(`GET /demo/chat/inbox`, read from the escalation's transcript), so "sending" one only
records that it is there to fetch; the notification no longer waits for a channel that
never comes."""

from __future__ import annotations

from core.messaging.port import STAFF_REPLY, Outgoing, Undeliverable

FETCHED = "web-inbox"  # the provider id of a message left for the page to fetch


class WebChatSender:
    async def send(self, address: str, message: Outgoing) -> str:
        if message.topic != STAFF_REPLY:
            raise Undeliverable("the web chat fetches only the desk's replies")
        return FETCHED
