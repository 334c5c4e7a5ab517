"""A visit as an iCalendar file (RFC 5545), for "add to calendar"."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from bot.chat import Attachment


def visit_ics(
    *, booking_id: int, title: str, start: datetime, end: datetime, location: str, stamp: datetime
) -> Attachment:
    calendar = Calendar()
    calendar.add("prodid", "-//frontdesk//visit//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking_id}@frontdesk")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", title)
    event.add("location", location)
    calendar.add_component(event)
    return Attachment(f"visit-{booking_id}.ics", calendar.to_ical(), "text/calendar")
