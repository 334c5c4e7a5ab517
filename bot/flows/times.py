"""The free times a booking offers: the earliest days, then one day's times, each time
a button naming its doctor and minute, all under the query the journey's choices make.

Questions only: `bot.flows.booking` reads the answers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import actions
from bot.chat import Button
from bot.flows import whom
from bot.turn import Turn
from core.clinic.names import local_name
from core.schedule.search import FreeSlot, SlotQuery

DAYS_SHOWN = 4
TIMES_SHOWN = 12


def slot_query(turn: Turn) -> SlotQuery:
    data = turn.data
    start = datetime.fromisoformat(data["from"]) if "from" in data else None
    return SlotQuery(
        channel=turn.incoming.channel,
        service_id=data.get("service"),
        doctor_id=data.get("doctor"),
        branch_id=data.get("branch"),
        patient_id=whom.known_patient(turn),
        start=start,
        limit=100,
    )


async def day_of_link(turn: Turn, at: datetime) -> None:
    """Go straight to the linked time's day while it, or a later time that day, is free."""
    found = await turn.services.search.find(replace(slot_query(turn), start=at, limit=1))
    if not found:
        return
    day = found[0].local_start().date()
    if day == at.astimezone(ZoneInfo(found[0].timezone)).date():
        turn.data.update(tz=found[0].timezone, day=day.isoformat())
        turn.at("time")


async def ask_day(turn: Turn) -> None:
    search, query = turn.services.search, slot_query(turn)
    if "branch" not in turn.data:
        branches = await search.branches(query)
        if len(branches) > 1:
            known = {branch.id: branch for branch in await turn.services.catalog.branches()}
            rows = [[earliest_button(turn)]] + [
                [
                    turn.button(
                        f"{local_name(known[b], turn.texts.language)}, {known[b].address}",
                        actions.BRANCH.pack(b),
                    )
                ]
                for b in branches
            ]
            turn.say(turn._("Which branch? Or the earliest free time in any of them:"), rows)
            return
    turn.data.pop("page", None)
    firsts = await search.earliest_days(query, DAYS_SHOWN + 1)
    if not firsts:
        turn.say(
            turn._("There are no free times for this in the coming weeks."),
            [
                [turn.button(turn._("⏳ Join the waiting list"), actions.WAITLIST.pack())],
                [turn.button(turn._("🏠 Menu"), actions.MENU.pack())],
            ],
        )
        return
    turn.data["tz"] = firsts[0].timezone
    days = [slot.local_start().date() for slot in firsts]
    rows = [[earliest_button(turn)]] if "from" not in turn.data else []
    rows += [[turn.button(turn.texts.day(d), actions.DAY.pack(d))] for d in days[:DAYS_SHOWN]]
    if len(days) > DAYS_SHOWN:
        rows.append([turn.button(turn._("Later ➡️"), actions.LATER.pack(days[DAYS_SHOWN]))])
    if "from" in turn.data:
        rows.append([turn.button(turn._("⬅️ Earliest days"), actions.FIRST_DAYS.pack())])
    rows.append([turn.button(turn._("⏳ None suits me: waiting list"), actions.WAITLIST.pack())])
    turn.say(turn._("The earliest days with free times:"), rows)


def earliest_button(turn: Turn) -> Button:
    """One tap instead of a day and a time: the first free time is held at once."""
    return turn.button(turn._("⚡ Earliest free time"), actions.EARLIEST.pack())


async def earliest(turn: Turn) -> FreeSlot | None:
    """The first free time under the journey's choices (any branch when none is chosen)."""
    found = await turn.services.search.find(replace(slot_query(turn), start=None, limit=1))
    return found[0] if found else None


def local_midnight(turn: Turn, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(turn.data.get("tz", "Europe/Warsaw")))


async def ask_time(turn: Turn) -> None:
    """One page of the day's free times, with the way to its later (and earlier) ones."""
    day = date.fromisoformat(turn.data["day"])
    start = local_midnight(turn, day)
    page = turn.data.get("page", 0)
    found = await turn.services.search.find(
        replace(
            slot_query(turn),
            start=start,
            end=start + timedelta(days=1),
            limit=(page + 1) * TIMES_SHOWN + 1,
        )
    )
    slots = found[page * TIMES_SHOWN : (page + 1) * TIMES_SHOWN]
    if not slots and page:
        turn.data["page"] = 0
        await ask_time(turn)
        return
    if not slots:
        turn.say(turn._("That day is fully booked now."))
        turn.at("day")
        await ask_day(turn)
        return
    names = await turn.services.catalog.doctor_names(turn.texts.language)
    several = len({s.doctor_id for s in slots}) > 1
    rows = []
    for slot in slots[:TIMES_SHOWN]:
        label = turn.texts.time(slot.start_at, slot.timezone)
        if several:
            label += f" · {names.get(slot.doctor_id, '')}"
        rows.append(turn.button(label, actions.SLOT.pack((slot.doctor_id, slot.start_at))))
    grid = [rows[i : i + (1 if several else 3)] for i in range(0, len(rows), 1 if several else 3)]
    pages = []
    if page:
        pages.append(turn.button(turn._("⬅️ Earlier times"), actions.TIMES_PAGE.pack(page - 1)))
    if len(found) > (page + 1) * TIMES_SHOWN:
        pages.append(turn.button(turn._("Later times ➡️"), actions.TIMES_PAGE.pack(page + 1)))
    if pages:
        grid.append(pages)
    grid.append([turn.button(turn._("⬅️ Other days"), actions.OTHER_DAYS.pack())])
    turn.say(turn._("Free times on {day}:", day=turn.texts.day(day)), grid)
