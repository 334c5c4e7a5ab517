"""Booking a visit, and moving one (the same steps, keeping the service).

Steps: service (or a doctor found by name) → branch, if several → day → time
(the slot is held while the patient confirms) → name, date of birth and phone
for a new patient → confirm. When nothing suits, the waiting list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot.flows import menu
from bot.turn import Turn
from core.booking.placement import VisitRequest
from core.booking.waitlist import WaitRequest
from core.errors import DomainError, InvalidInput, SlotTaken
from core.patients.cards import PatientDraft
from core.patients.identity import fold_name
from core.schedule.search import SlotQuery
from core.vocab import CHAT_CONTACTS, ContactKind

DAYS_SHOWN = 4
TIMES_SHOWN = 12
MATCH_CUTOFF = 70


def slot_action(doctor_id: int, start: datetime) -> str:
    return f"t:{doctor_id}:{int(start.timestamp()) // 60}"


def parse_slot(action: str) -> tuple[int, datetime]:
    _t, doctor, minutes = action.split(":")
    return int(doctor), datetime.fromtimestamp(int(minutes) * 60, tz=UTC)


async def start(turn: Turn) -> None:
    turn.go("book", "service")
    await prompt(turn)


async def start_at(turn: Turn, doctor_id: int, at: datetime) -> None:
    """A deep link to one free time (from the aggregators' feed): that doctor's service,
    then that day's free times; a doctor we do not know starts the usual way."""
    turn.go("book", "service")
    turn.data["link_at"] = at.isoformat()
    if not await _choose_doctor(turn, doctor_id):
        turn.data.pop("link_at")
        await prompt(turn)


async def start_move(turn: Turn, booking_id: int) -> None:
    booking = await turn.services.booking.get(booking_id)
    if booking.patient_id != turn.patient_id:
        raise InvalidInput("not your booking")
    turn.go("book", "day")
    turn.data.update(
        move=booking_id,
        service=booking.service_id,
        doctor=booking.doctor_id,
        branch=booking.branch_id,
    )
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    step = turn.step
    if step == "service":
        await _ask_service(turn)
    elif step == "doctor_name":
        turn.say(turn._("Type the doctor's surname (or part of it)."))
    elif step == "doctor_service":
        await _ask_doctor_service(turn)
    elif step == "day":
        await _ask_day(turn)
    elif step == "time":
        await _ask_time(turn)
    elif step == "name":
        turn.say(turn._("To book, I need your first and last name (e.g. Anna Kowalska)."))
    elif step == "dob":
        turn.say(turn._("Your date of birth, please (DD.MM.YYYY)."))
    elif step == "phone":
        turn.say(
            turn._("Your phone number, please: press the button below or type it."),
            ask_contact=True,
        )
    elif step == "confirm":
        await _ask_confirm(turn)


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    step = turn.step
    if step == "service":
        return await _on_service(turn, action, text)
    if step == "doctor_name":
        return await _on_doctor_name(turn, action, text)
    if step == "doctor_service":
        return await _on_pick_service(turn, action)
    if step == "day":
        return await _on_day(turn, action)
    if step == "time":
        return await _on_time(turn, action)
    if step in ("name", "dob", "phone"):
        return await _on_identity(turn, step, text)
    if step == "confirm":
        return await _on_confirm(turn, action)
    return False


# -- what to book ------------------------------------------------------------------


async def _ask_service(turn: Turn) -> None:
    services = await turn.services.catalog.services()
    rows = [[turn.button(s.name, f"svc:{s.id}")] for s in services]
    rows.append([turn.button(turn._("🔎 Find a doctor by name"), "finddoc")])
    turn.say(
        turn._("What kind of visit? Choose a service, or type a doctor's or service's name."), rows
    )


async def _on_service(turn: Turn, action: str | None, text: str | None) -> bool:
    if action and action.startswith("svc:"):
        return await _choose_service(turn, int(action[4:]))
    if action == "finddoc":
        turn.at("doctor_name")
        await prompt(turn)
        return True
    if text:
        return await _search_by_name(turn, text, services_too=True)
    return False


async def _on_doctor_name(turn: Turn, action: str | None, text: str | None) -> bool:
    if action and action.startswith("doc:"):
        return await _choose_doctor(turn, int(action[4:]))
    if action and action.startswith("svc:"):
        return await _choose_service(turn, int(action[4:]))
    if text:
        return await _search_by_name(turn, text, services_too=False)
    return False


async def _search_by_name(turn: Turn, text: str, *, services_too: bool) -> bool:
    """Doctors (and services) whose names resemble what was typed, typos and diacritics forgiven."""
    catalog = turn.services.catalog
    choices: dict[str, tuple[str, str]] = {}
    for doctor in await catalog.doctors():
        choices[f"doc:{doctor.id}"] = (
            doctor.display_name,
            fold_name(f"{doctor.first_name} {doctor.last_name}"),
        )
    if services_too:
        for service in await catalog.services():
            choices[f"svc:{service.id}"] = (service.name, fold_name(service.name))
    found = process.extract(
        fold_name(text),
        {k: v[1] for k, v in choices.items()},
        scorer=fuzz.WRatio,
        score_cutoff=MATCH_CUTOFF,
        limit=5,
    )
    if not found:
        return False
    best = [key for _name, score, key in found if score >= found[0][1] - 5]
    if len(best) == 1:
        kind, ident = best[0].split(":")
        if kind == "doc":
            return await _choose_doctor(turn, int(ident))
        return await _choose_service(turn, int(ident))
    turn.at("doctor_name")
    turn.say(turn._("Did you mean:"), [[turn.button(choices[k][0], k)] for k in best])
    return True


async def _choose_doctor(turn: Turn, doctor_id: int) -> bool:
    services = await turn.services.catalog.services_of(doctor_id)
    if not services:
        return False
    turn.data["doctor"] = doctor_id
    if len(services) == 1:
        return await _choose_service(turn, services[0].id or 0)
    turn.at("doctor_service")
    await prompt(turn)
    return True


async def _ask_doctor_service(turn: Turn) -> None:
    services = await turn.services.catalog.services_of(turn.data["doctor"])
    turn.say(turn._("Which service?"), [[turn.button(s.name, f"svc:{s.id}")] for s in services])


async def _on_pick_service(turn: Turn, action: str | None) -> bool:
    if action and action.startswith("svc:"):
        return await _choose_service(turn, int(action[4:]))
    return False


async def _choose_service(turn: Turn, service_id: int) -> bool:
    service = await turn.services.catalog.service(service_id)
    turn.data["service"] = service_id
    turn.data.pop("from", None)
    turn.at("day")
    if service.patient_info:
        turn.say(f"ℹ️ {service.patient_info}")
    if "link_at" in turn.data:
        await _day_of_link(turn, datetime.fromisoformat(turn.data.pop("link_at")))
    await prompt(turn)
    return True


# -- when -----------------------------------------------------------------------------


def _query(turn: Turn) -> SlotQuery:
    data = turn.data
    start = datetime.fromisoformat(data["from"]) if "from" in data else None
    return SlotQuery(
        channel=turn.incoming.channel,
        service_id=data.get("service"),
        doctor_id=data.get("doctor"),
        branch_id=data.get("branch"),
        patient_id=turn.patient_id,
        start=start,
        limit=100,
    )


async def _day_of_link(turn: Turn, at: datetime) -> None:
    """Go straight to the linked time's day while it, or a later time that day, is free."""
    found = await turn.services.search.find(replace(_query(turn), start=at, limit=1))
    if not found:
        return
    day = found[0].local_start().date()
    if day == at.astimezone(ZoneInfo(found[0].timezone)).date():
        turn.data.update(tz=found[0].timezone, day=day.isoformat())
        turn.at("time")


async def _ask_day(turn: Turn) -> None:
    search, query = turn.services.search, _query(turn)
    if "branch" not in turn.data:
        branches = await search.branches(query)
        if len(branches) > 1:
            known = {branch.id: branch for branch in await turn.services.catalog.branches()}
            rows = [
                [turn.button(f"{known[b].name}, {known[b].address}", f"br:{b}")] for b in branches
            ]
            turn.say(turn._("Which branch?"), rows)
            return
    firsts = await search.earliest_days(query, DAYS_SHOWN + 1)
    if not firsts:
        turn.say(
            turn._("There are no free times for this in the coming weeks."),
            [
                [turn.button(turn._("⏳ Join the waiting list"), "wl")],
                [turn.button(turn._("🏠 Menu"), "menu")],
            ],
        )
        return
    turn.data["tz"] = firsts[0].timezone
    days = [slot.local_start().date() for slot in firsts]
    rows = [[turn.button(turn.texts.day(d), f"day:{d.isoformat()}")] for d in days[:DAYS_SHOWN]]
    if len(days) > DAYS_SHOWN:
        rows.append([turn.button(turn._("Later ➡️"), f"later:{days[DAYS_SHOWN].isoformat()}")])
    rows.append([turn.button(turn._("⏳ None suits me: waiting list"), "wl")])
    turn.say(turn._("The earliest days with free times:"), rows)


async def _on_day(turn: Turn, action: str | None) -> bool:
    if not action:
        return False
    if action.startswith("br:"):
        turn.data["branch"] = int(action[3:])
        await prompt(turn)
        return True
    if action.startswith("later:"):
        turn.data["from"] = _local_midnight(turn, date.fromisoformat(action[6:])).isoformat()
        await prompt(turn)
        return True
    if action.startswith("day:"):
        turn.data["day"] = action[4:]
        turn.at("time")
        await prompt(turn)
        return True
    if action == "wl":
        return await _join_waitlist(turn)
    return False


def _local_midnight(turn: Turn, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(turn.data.get("tz", "Europe/Warsaw")))


async def _ask_time(turn: Turn) -> None:
    day = date.fromisoformat(turn.data["day"])
    start = _local_midnight(turn, day)
    slots = await turn.services.search.find(
        replace(_query(turn), start=start, end=start + timedelta(days=1), limit=TIMES_SHOWN)
    )
    if not slots:
        turn.say(turn._("That day is fully booked now."))
        turn.at("day")
        await _ask_day(turn)
        return
    names = await turn.services.catalog.doctor_names()
    several = len({s.doctor_id for s in slots}) > 1
    rows = []
    for slot in slots[:TIMES_SHOWN]:
        label = turn.texts.time(slot.start_at, slot.timezone)
        if several:
            label += f" · {names.get(slot.doctor_id, '')}"
        rows.append(turn.button(label, slot_action(slot.doctor_id, slot.start_at)))
    grid = [rows[i : i + (1 if several else 3)] for i in range(0, len(rows), 1 if several else 3)]
    grid.append([turn.button(turn._("⬅️ Other days"), "days")])
    turn.say(turn._("Free times on {day}:", day=turn.texts.day(day)), grid)


async def _on_time(turn: Turn, action: str | None) -> bool:
    if action == "days":
        turn.at("day")
        await prompt(turn)
        return True
    if not action or not action.startswith("t:"):
        return False
    doctor_id, start = parse_slot(action)
    await _release(turn)
    try:
        ticket = await turn.services.booking.hold(
            turn.incoming.channel, turn.data["service"], doctor_id, start
        )
    except SlotTaken:
        turn.say(turn._("Sorry, someone has just taken that time. Here are the free ones:"))
        await prompt(turn)
        return True
    turn.data.update(
        hold=ticket.token,
        doctor_slot=doctor_id,
        start=start.isoformat(),
        slot_branch=ticket.placement.branch_id,
    )
    if turn.patient_id is None:
        turn.at("name")
    else:
        turn.at("confirm")
    await prompt(turn)
    return True


async def _release(turn: Turn) -> None:
    token = turn.data.pop("hold", None)
    if token:
        await turn.services.booking.release(token)


# -- who ------------------------------------------------------------------------------


async def _on_identity(turn: Turn, step: str, text: str | None) -> bool:
    if step == "phone" and turn.incoming.shared_phone:
        text = turn.incoming.shared_phone
    if not text:
        return False
    if step == "name":
        parts = text.split()
        if len(parts) < 2 or any(len(p) > 100 for p in parts):
            turn.say(turn._("Please give both your first and last name."))
            return True
        turn.data["first_name"], turn.data["last_name"] = parts[0], " ".join(parts[1:])
        turn.at("dob")
    elif step == "dob":
        born = parse_date(text)
        if born is None or born > turn.services.clock.now().date() or born.year < 1900:
            turn.say(turn._("I could not read that date. Please write it like 24.05.1987."))
            return True
        turn.data["birth_date"] = born.isoformat()
        turn.at("phone")
        if turn.incoming.shared_phone:  # WhatsApp knows the number already
            return await _on_identity(turn, "phone", turn.incoming.shared_phone)
    else:
        return await _register(turn, text)
    await prompt(turn)
    return True


def parse_date(text: str) -> date | None:
    cleaned = text.strip().replace("/", ".").replace("-", ".").replace(" ", "")
    for pattern in ("%d.%m.%Y", "%Y.%m.%d"):
        try:
            return datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None


async def _register(turn: Turn, phone: str) -> bool:
    kind = CHAT_CONTACTS[turn.incoming.channel]
    contacts = {ContactKind.PHONE: phone}
    if kind is not ContactKind.PHONE:
        contacts = {kind: turn.incoming.chat_id, **contacts}
    try:
        patient = await turn.services.patients.register(
            PatientDraft(
                first_name=turn.data["first_name"],
                last_name=turn.data["last_name"],
                birth_date=date.fromisoformat(turn.data["birth_date"]),
                language=turn.texts.language,
                contacts=contacts,
            )
        )
    except DomainError as exc:
        if exc.code == "phone_invalid":
            turn.say(
                turn._("That does not look like a phone number. Please try again."),
                ask_contact=True,
            )
            return True
        turn.say(
            turn._(
                "This phone number already belongs to a clinic card. Link your card with "
                "a code, or talk to a person."
            ),
            [
                [turn.button(turn._("🔗 Link my clinic card"), "m:link")],
                [turn.button(turn._("🧑‍💼 Talk to a person"), "m:human")],
            ],
        )
        return True
    turn.patient_id = patient.id
    then = turn.data.pop("then", "confirm")
    if then == "waitlist":
        return await _join_waitlist(turn)
    turn.at("confirm")
    await prompt(turn)
    return True


# -- confirm ----------------------------------------------------------------------------


async def _ask_confirm(turn: Turn) -> None:
    services = turn.services
    service = await services.catalog.service(turn.data["service"])
    doctor = (await services.catalog.doctor_names()).get(turn.data["doctor_slot"], "")
    start = datetime.fromisoformat(turn.data["start"])
    branch = await services.catalog.branch(turn.data["slot_branch"])
    question = (
        turn._("Move the visit to this time?")
        if "move" in turn.data
        else turn._("Book this visit?")
    )
    turn.say(
        f"{question}\n\n🩺 {service.name}\n👩‍⚕️ {doctor}\n🕒 "
        f"{turn.texts.when(start, branch.timezone)}\n📍 {branch.name}, {branch.address}\n"
        f"💳 {turn.texts.money(service.price, service.currency)}",
        [
            [turn.button(turn._("✅ Confirm"), "ok")],
            [turn.button(turn._("⬅️ Other times"), "days"), turn.button(turn._("✖️ Cancel"), "menu")],
        ],
    )


async def _on_confirm(turn: Turn, action: str | None) -> bool:
    if action == "days":
        await _release(turn)
        turn.at("day")
        await prompt(turn)
        return True
    if action != "ok":
        return False
    services = turn.services
    start = datetime.fromisoformat(turn.data["start"])
    doctor_id = turn.data["doctor_slot"]
    try:
        if "move" in turn.data:
            booking = await services.booking.reschedule(
                turn.actor,
                turn.data["move"],
                doctor_id=doctor_id,
                start_at=start,
                hold_token=turn.data.get("hold"),
            )
            done = turn._("Done: your visit is moved.")
        else:
            booking = await services.booking.book(
                turn.actor,
                VisitRequest(
                    int(turn.actor.id),
                    turn.data["service"],
                    doctor_id,
                    start,
                    hold_token=turn.data.get("hold"),
                ),
            )
            done = turn._("Done: your visit is booked.")
    except SlotTaken:
        turn.data.pop("hold", None)
        turn.say(turn._("Sorry, someone has just taken that time. Here are the free ones:"))
        turn.at("day")
        await prompt(turn)
        return True
    branch = await services.catalog.branch(booking.branch_id)
    turn.go(None)
    turn.say(
        f"{done}\n🕒 {turn.texts.when(booking.start_at, branch.timezone)}\n📍 {branch.name}, "
        f"{branch.address}, {branch.city}",
        [
            [turn.button(turn._("📆 Add to calendar"), f"ics:{booking.id}")],
            [turn.button(turn._("🏠 Menu"), "menu")],
        ],
    )
    return True


# -- nothing suits ------------------------------------------------------------------------


async def _join_waitlist(turn: Turn) -> bool:
    if turn.patient_id is None:
        turn.data["then"] = "waitlist"
        turn.at("name")
        await prompt(turn)
        return True
    await turn.services.waitlist.join(
        WaitRequest(
            patient_id=turn.patient_id,
            channel=turn.incoming.channel,
            doctor_id=turn.data.get("doctor"),
            service_id=turn.data.get("service"),
            branch_id=turn.data.get("branch"),
        )
    )
    turn.go(None)
    turn.say(
        turn._("You are on the waiting list. When a time frees up, I will offer it here."),
        menu.menu_rows(turn),
    )
    return True
