"""Notifications from the engine (reminders, waiting-list offers, the desk's replies) worded
for the patient, once for every channel: a `Reply` that each channel renders as it renders
the dialog's (inline buttons, numbered options).

Buttons carry global payloads (`bot.actions`: "rc:7", "wa:3"): they are not bound to a turn of the
conversation, so they work whenever the patient presses them.
"""

from __future__ import annotations

from bot import actions
from bot.chat import Button, Reply
from core.messaging.port import BOOKING_LINK, STAFF_REPLY, WAITLIST_BOOKED, WAITLIST_OFFER, Outgoing
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
    text = message.text
    if message.topic == WAITLIST_BOOKED:
        p = message.params
        text = _(
            "{clinic}: a time you waited for has become free and we booked it for you: "
            "{date}, {time}, {address}. If it does not suit you, cancel it.",
            clinic=p.get("clinic", ""),
            date=p.get("date", ""),
            time=p.get("time", ""),
            address=p.get("address", ""),
        )
    if message.actions and message.booking_id is not None:
        visit = message.booking_id
        return Reply(
            text,
            (
                (Button(_("✅ I will come"), actions.WILL_COME.pack(visit)),),
                (
                    Button(_("🔁 Move"), actions.MOVE.pack(visit)),
                    Button(_("✖️ Cancel"), actions.CANCEL.pack(visit)),
                ),
            ),
        )
    return Reply(text)


def reply_words(message: Outgoing) -> str:
    """What a text message can answer, said under it (SMS has no buttons): the words
    `core.messaging.sms_replies` reads."""
    if not message.actions or message.booking_id is None or message.offer_id is not None:
        return ""
    _ = Texts(message.language)._
    if message.topic == WAITLIST_BOOKED:
        return _("Reply NO to cancel it.")
    return _("Reply YES to confirm, NO to cancel, MOVE to choose another time.")
