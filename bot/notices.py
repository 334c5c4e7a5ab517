"""Notifications from the engine (reminders, waiting-list offers, the desk's replies) worded
for the patient, once for every channel: a `Reply` that each channel renders as it renders
the dialog's (inline buttons, numbered options).

Buttons carry global payloads (`bot.actions`: "rc:7", "wa:3"): they are not bound to a turn of the
conversation, so they work whenever the patient presses them.
"""

from __future__ import annotations

from bot import actions
from bot.chat import Button, Reply
from core.messaging.port import BOOKING_LINK, STAFF_REPLY, WAITLIST_OFFER, Outgoing
from edge.i18n import Texts


def word(message: Outgoing) -> Reply:
    texts = Texts(message.language)
    _ = texts._
    if message.topic == WAITLIST_OFFER and message.offer_id is not None:
        p = message.params
        text = _(
            "A time has become free: {date}, {time}, {address}. Would you like it?",
            date=p.get("date", ""),
            time=p.get("time", ""),
            address=p.get("address", ""),
        )
        offer = message.offer_id
        take = Button(_("✅ Take it"), actions.TAKE_OFFER.pack(offer))
        return Reply(text, ((take, Button(_("❌ No"), actions.DECLINE_OFFER.pack(offer))),))
    if message.topic == BOOKING_LINK:
        p = message.params
        return Reply(
            _(
                "{clinic}: please choose a time for your visit here: {url} "
                "(the link works once, until {until}).",
                clinic=p.get("clinic", ""),
                url=p.get("url", ""),
                until=p.get("until", ""),
            )
        )
    if message.topic == STAFF_REPLY:
        return Reply(_("Registration desk: {text}", text=message.text))
    if message.actions and message.booking_id is not None:
        visit = message.booking_id
        return Reply(
            message.text,
            (
                (Button(_("✅ I will come"), actions.WILL_COME.pack(visit)),),
                (
                    Button(_("🔁 Move"), actions.MOVE.pack(visit)),
                    Button(_("✖️ Cancel"), actions.CANCEL.pack(visit)),
                ),
            ),
        )
    return Reply(message.text)
