"""Booking a visit, and moving one (the same steps, keeping the service).

Steps: service (or a doctor found by name; a linked patient's last service first, to
book again) → for whom, when it matters (`bot.flows.whom`: the service's limits checked
for that person at once) → branch, if several → day → time, or at once the earliest free
time (the slot is held while the patient confirms) → the e-referral, if the service needs
one → name, date of birth and phone for a new patient → confirm. When nothing suits, the
waiting list.

The days and times offered are asked in `bot.flows.times`, a new patient's card is
made in `bot.flows.register`; the answers that move the journey on are read here.
"""

from __future__ import annotations

from datetime import datetime

from bot import actions
from bot.flows import menu, register, times, whom
from bot.turn import Step, Turn, answer, ask
from core.booking.confirm import confirm_hold
from core.booking.ereferral import parse_e_referral
from core.booking.waitlist import WaitRequest
from core.clinic.matching import match
from core.clinic.names import Named, doctor_name, local_name
from core.errors import EReferralInvalid, SlotTaken
from core.models import Booking, Service


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
    """The times for moving a visit of the patient's own or of a card in their care (the
    core refuses any other as 'not found'); a dependent's is offered the times they may
    have, and the confirmation names them."""
    booking = await turn.services.booking.get_for(turn.actor, booking_id)
    turn.go("book", "day")
    turn.data.update(
        move=booking_id,
        service=booking.service_id,
        doctor=booking.doctor_id,
        branch=booking.branch_id,
    )
    if booking.patient_id != turn.patient_id:
        turn.data["for"] = booking.patient_id
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    await ask(STEPS, turn)


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    return await answer(STEPS, turn, action, text)


# -- what to book ------------------------------------------------------------------


async def _ask_service(turn: Turn) -> None:
    services = await turn.services.catalog.services()
    rows = [[turn.button(_named(turn, s), actions.SERVICE.pack(s.id))] for s in services]
    again = await _last_service(turn)
    if again is not None:
        label = turn._("🔁 Again: {service}", service=_named(turn, again))
        rows.insert(0, [turn.button(label, actions.SERVICE.pack(again.id))])
    rows.append([turn.button(turn._("🔎 Find a doctor by name"), actions.FIND_DOCTOR.pack())])
    turn.say(
        turn._("What kind of visit? Choose a service, or type a doctor's or service's name."), rows
    )


async def _last_service(turn: Turn) -> Service | None:
    """A linked patient's last service, offered first to book again (when still offered)."""
    if turn.patient_id is None:
        return None
    service_id = await turn.services.booking.last_service(turn.patient_id)
    if service_id is None:
        return None
    offered = {s.id: s for s in await turn.services.catalog.services()}
    return offered.get(service_id)


async def _on_service(turn: Turn, action: str | None, text: str | None) -> bool:
    service_id = actions.SERVICE.unpack(action)
    if service_id is not None:
        return await _choose_service(turn, service_id)
    if actions.FIND_DOCTOR.pressed(action):
        turn.at("doctor_name")
        await prompt(turn)
        return True
    if text:
        return await _search_by_name(turn, text, services_too=True)
    return False


async def _ask_doctor_name(turn: Turn) -> None:
    turn.say(turn._("Type the doctor's surname (or part of it)."))


async def _on_doctor_name(turn: Turn, action: str | None, text: str | None) -> bool:
    doctor_id = actions.DOCTOR.unpack(action)
    if doctor_id is not None:
        return await _choose_doctor(turn, doctor_id)
    service_id = actions.SERVICE.unpack(action)
    if service_id is not None:
        return await _choose_service(turn, service_id)
    if text:
        return await _search_by_name(turn, text, services_too=False)
    return False


def _named(turn: Turn, row: Named) -> str:
    return local_name(row, turn.texts.language)


async def start_with_text(turn: Turn, text: str) -> bool:
    """Free text at the menu that names a service, a specialty or a doctor ("I want to see
    a dermatologist", "кардіолог"): the booking starts there. False when it names none."""
    turn.go("book", "service")
    if await _search_by_name(turn, text, services_too=True):
        return True
    turn.go(None)
    return False


async def _search_by_name(turn: Turn, text: str, *, services_too: bool) -> bool:
    """Doctors (and services, by name or specialty) that what was typed names, in any of
    the four languages and either alphabet, typos forgiven; what was found is said back."""
    catalog = turn.services.catalog
    services = await catalog.services()
    doctors = await catalog.doctors()
    specialties = await catalog.specialties() if services_too else []
    found = match(text, services if services_too else [], doctors, specialties)
    if not found:
        return False
    service_names = {s.id: _named(turn, s) for s in services}
    doctor_names = {d.id: doctor_name(d, turn.texts.language) for d in doctors}
    choices: dict[str, str] = {}  # payload: label
    said: list[str] = []
    for hit in found:
        if hit.kind == "doctor":
            choices[actions.DOCTOR.pack(hit.id)] = doctor_names[hit.id]
            said.append(doctor_names[hit.id])
        elif hit.kind == "service":
            choices[actions.SERVICE.pack(hit.id)] = service_names[hit.id]
            said.append(service_names[hit.id])
        else:
            said.extend(_named(turn, s) for s in specialties if s.id == hit.id)
            for service in services:
                if service.specialty_id == hit.id:
                    choices[actions.SERVICE.pack(service.id)] = _named(turn, service)
    if len(choices) == 1:
        [payload] = choices
        turn.say(turn._("🔎 Found: {names}", names=", ".join(said)))
        doctor_id = actions.DOCTOR.unpack(payload)
        if doctor_id is not None:
            return await _choose_doctor(turn, doctor_id)
        service_id = actions.SERVICE.unpack(payload)
        assert service_id is not None  # every choice names a doctor or a service
        return await _choose_service(turn, service_id)
    turn.at("doctor_name")
    turn.say(
        turn._("🔎 Found: {names}. Which one do you mean?", names=", ".join(said)),
        [[turn.button(label, payload)] for payload, label in choices.items()],
    )
    return True


async def _choose_doctor(turn: Turn, doctor_id: int) -> bool:
    services = await turn.services.catalog.services_of(doctor_id)
    if not services:
        return False
    turn.data["doctor"] = doctor_id
    if len(services) == 1:
        assert services[0].id is not None
        return await _choose_service(turn, services[0].id)
    turn.at("doctor_service")
    await prompt(turn)
    return True


async def _ask_doctor_service(turn: Turn) -> None:
    services = await turn.services.catalog.services_of(turn.data["doctor"])
    rows = [[turn.button(_named(turn, s), actions.SERVICE.pack(s.id))] for s in services]
    turn.say(turn._("Which service?"), rows)


async def _on_pick_service(turn: Turn, action: str | None, _text: str | None) -> bool:
    service_id = actions.SERVICE.unpack(action)
    if service_id is not None:
        return await _choose_service(turn, service_id)
    return False


async def _choose_service(turn: Turn, service_id: int) -> bool:
    """The service chosen: for whom (when it matters), its limits checked for that person
    at once, then the times."""
    service = await turn.services.catalog.service(service_id)
    turn.data["service"] = service_id
    turn.data.pop("from", None)
    if service.patient_info:
        turn.say(f"ℹ️ {service.patient_info}")
    return await whom.choose(turn, service, _to_times)


async def _to_times(turn: Turn) -> bool:
    turn.at("day")
    if "link_at" in turn.data:
        await times.day_of_link(turn, datetime.fromisoformat(turn.data.pop("link_at")))
    await prompt(turn)
    return True


# -- when (the questions are in bot.flows.times) -------------------------------------


async def _on_day(turn: Turn, action: str | None, _text: str | None) -> bool:
    branch_id, later = actions.BRANCH.unpack(action), actions.LATER.unpack(action)
    day = actions.DAY.unpack(action)
    if branch_id is not None:
        turn.data["branch"] = branch_id
        await prompt(turn)
        return True
    if later is not None:
        turn.data["from"] = times.local_midnight(turn, later).isoformat()
        await prompt(turn)
        return True
    if day is not None:
        turn.data["day"] = day.isoformat()
        turn.at("time")
        await prompt(turn)
        return True
    if actions.EARLIEST.pressed(action):
        return await _take_earliest(turn)
    if actions.FIRST_DAYS.pressed(action):
        turn.data.pop("from", None)
        await prompt(turn)
        return True
    if actions.WAITLIST.pressed(action):
        return await _join_waitlist(turn)
    return False


async def _on_time(turn: Turn, action: str | None, _text: str | None) -> bool:
    if actions.OTHER_DAYS.pressed(action):
        turn.at("day")
        await prompt(turn)
        return True
    page = actions.TIMES_PAGE.unpack(action)
    if page is not None:
        turn.data["page"] = page
        await prompt(turn)
        return True
    slot = actions.SLOT.unpack(action)
    if slot is None:
        return False
    return await _take(turn, *slot)


async def _take_earliest(turn: Turn) -> bool:
    """The earliest free time held at once, as if its day and time had been chosen."""
    turn.data.pop("from", None)
    first = await times.earliest(turn)
    if first is None:
        await prompt(turn)  # says there is none, and offers the waiting list
        return True
    turn.data.update(tz=first.timezone, day=first.local_start().date().isoformat())
    return await _take(turn, first.doctor_id, first.start_at, announce=True)


async def _take(turn: Turn, doctor_id: int, start: datetime, *, announce: bool = False) -> bool:
    """Hold one free time for this chat, then on to who is booking or the confirmation;
    a time the patient did not pick themselves (the earliest) is said before any question."""
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
    if announce:
        when = turn.texts.when(start, turn.data["tz"])
        turn.say(
            turn._("🕒 The earliest free time waits for your confirmation: {when}.", when=when)
        )
    service = await turn.services.catalog.service(turn.data["service"])
    if service.e_referral_required and "move" not in turn.data and "e_referral" not in turn.data:
        turn.at("e_referral")
    else:
        _to_card_or_confirm(turn)
    await prompt(turn)
    return True


def _to_card_or_confirm(turn: Turn) -> None:
    if turn.patient_id is None and "phone" not in turn.data:
        turn.at(register.FIRST_STEP)
    else:
        turn.at("confirm")


async def _ask_e_referral(turn: Turn) -> None:
    turn.say(
        turn._(
            "This service is funded by the NFZ and needs an e-referral. Please type its "
            "4-digit code with your PESEL (e.g. 1234 85010112345), or the referral's "
            "44-digit key."
        ),
        [[turn.button(turn._("↩️ Not now"), actions.MENU.pack())]],
    )


async def _on_e_referral(turn: Turn, _action: str | None, text: str | None) -> bool:
    if not text:
        return False
    try:
        turn.data["e_referral"] = parse_e_referral(text)
    except EReferralInvalid:
        turn.say(
            turn._(
                "That does not look like an e-referral: 4 digits with an 11-digit PESEL, "
                "or 44 digits. Please try again."
            )
        )
        return True
    _to_card_or_confirm(turn)
    await prompt(turn)
    return True


async def _release(turn: Turn) -> None:
    token = turn.data.pop("hold", None)
    if token:
        await turn.services.booking.release(token)


async def _registered(turn: Turn) -> bool:
    """A new patient's card is made: on to the confirmation, or to the waiting list."""
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
    doctor = (await services.catalog.doctor_names(turn.texts.language)).get(
        turn.data["doctor_slot"], ""
    )
    start = datetime.fromisoformat(turn.data["start"])
    branch = await services.catalog.branch(turn.data["slot_branch"])
    question = (
        turn._("Move the visit to this time?")
        if "move" in turn.data
        else turn._("Book this visit?")
    )
    patient = await _visit_for(turn)
    turn.say(
        f"{question}\n\n{patient}🩺 {_named(turn, service)}\n👩‍⚕️ {doctor}\n🕒 "
        f"{turn.texts.when(start, branch.timezone)}\n📍 {_named(turn, branch)}, {branch.address}\n"
        f"💳 {turn.texts.money(service.price, service.currency)}",
        [
            [turn.button(turn._("✅ Confirm"), actions.CONFIRM.pack())],
            [
                turn.button(turn._("⬅️ Other times"), actions.OTHER_DAYS.pack()),
                turn.button(turn._("↩️ Not now"), actions.MENU.pack()),
            ],
        ],
    )


async def _visit_for(turn: Turn) -> str:
    """The line naming the person the visit is for, when not the patient in the chat (a
    dependent's visit being moved by first name, as "My visits" lists it)."""
    if not whom.for_someone_else(turn):
        return ""
    chosen = turn.data["for"]
    if chosen == "new":
        name = f"{turn.data['dep_first_name']} {turn.data['dep_last_name']}"
    else:
        person = await turn.services.patients.get(int(chosen))
        moving = "move" in turn.data
        name = person.first_name if moving else f"{person.first_name} {person.last_name}"
    return turn._("👶 For: {name}", name=name) + "\n"


async def _done(turn: Turn, booking: Booking) -> str:
    """The confirmation's first lines: a dependent's visit is not "yours", and names them
    as "My visits" does."""
    moved = "move" in turn.data
    if booking.patient_id == turn.patient_id:
        mine = (
            turn._("Done: your visit is moved.") if moved else turn._("Done: your visit is booked.")
        )
        return mine + "\n"
    done = turn._("Done: the visit is moved.") if moved else turn._("Done: the visit is booked.")
    return f"{done}\n" + whom.for_line(turn, booking, await whom.first_names(turn))


async def _on_confirm(turn: Turn, action: str | None, _text: str | None) -> bool:
    if actions.OTHER_DAYS.pressed(action):
        await _release(turn)
        turn.at("day")
        await prompt(turn)
        return True
    if not actions.CONFIRM.pressed(action):
        return False
    if turn.patient_id is None and not await register.make_card(turn):
        return True
    services = turn.services
    start = datetime.fromisoformat(turn.data["start"])
    doctor_id = turn.data["doctor_slot"]
    for_patient = await whom.patient_for_visit(turn)
    try:
        booking = await confirm_hold(
            services.booking,
            turn.actor,
            service_id=turn.data["service"],
            doctor_id=doctor_id,
            start_at=start,
            hold_token=turn.data.get("hold"),
            move=turn.data.get("move"),
            e_referral=turn.data.get("e_referral"),
            for_patient=for_patient,
        )
    except SlotTaken:
        turn.data.pop("hold", None)
        turn.say(turn._("Sorry, someone has just taken that time. Here are the free ones:"))
        turn.at("day")
        await prompt(turn)
        return True
    done = await _done(turn, booking)
    branch = await services.catalog.branch(booking.branch_id)
    turn.go(None)
    turn.say(
        f"{done}🕒 {turn.texts.when(booking.start_at, branch.timezone)}\n"
        f"📍 {_named(turn, branch)}, {branch.address}, {branch.city}",
        [
            [turn.button(turn._("📆 Add to calendar"), actions.CALENDAR.pack(booking.id))],
            [turn.button(turn._("🏠 Menu"), actions.MENU.pack())],
        ],
    )
    return True


# -- nothing suits ------------------------------------------------------------------------


async def _join_waitlist(turn: Turn) -> bool:
    if turn.patient_id is None and "phone" not in turn.data:
        turn.data["then"] = "waitlist"
        turn.at(register.FIRST_STEP)
        await prompt(turn)
        return True
    if turn.patient_id is None and not await register.make_card(turn):
        return True
    assert turn.patient_id is not None
    for_patient = await whom.patient_for_visit(turn)
    await turn.services.waitlist.join(
        WaitRequest(
            patient_id=for_patient or turn.patient_id,
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


STEPS: dict[str, Step] = {
    "service": Step(_ask_service, _on_service),
    "doctor_name": Step(_ask_doctor_name, _on_doctor_name),
    "doctor_service": Step(_ask_doctor_service, _on_pick_service),
    **whom.steps(_to_times),
    "day": Step(times.ask_day, _on_day),
    "time": Step(times.ask_time, _on_time),
    "e_referral": Step(_ask_e_referral, _on_e_referral),
    **register.steps(_registered),
    "confirm": Step(_ask_confirm, _on_confirm),
}
