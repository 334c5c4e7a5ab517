"""The information notice (GDPR art. 13) a chat is shown once, right before its first
personal question: who processes the data, why, and where the full notice is. The
showing is recorded (when, by which channel) in `privacy_notice`."""

from __future__ import annotations

from bot.turn import Turn


async def tell_once(turn: Turn) -> None:
    """Say the notice, unless this chat was shown it before."""
    services = turn.services
    if not await services.conversations.notice_privacy(
        turn.incoming.channel, turn.incoming.chat_id
    ):
        return
    clinic = await services.catalog.clinic_name()
    notice = turn._(
        "ℹ️ Your details (name, date of birth, phone) are processed by {clinic} to book your "
        "visits and remind you of them, and kept only if you confirm a booking.",
        clinic=clinic,
    )
    if services.privacy_url:
        more = turn._("The full information notice: {url}", url=services.privacy_url)
    else:
        more = turn._("The full information notice is available at the registration desk.")
    turn.say(f"{notice}\n{more}")
