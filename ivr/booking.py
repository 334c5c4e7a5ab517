"""Booking and moving by phone: specialty or doctor, service, for whom (`ivr.whom`, when
the caller has dependents), the earliest free time held while the caller hears it (1 take,
2 next, 3 another day), the e-referral's code and the PESEL keyed in when the service
needs one, then the confirmation."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking.confirm import confirm_hold
from core.booking.ereferral import CODE_DIGITS, parse_e_referral
from core.clinic.names import local_name
from core.errors import (
    AlreadyBooked,
    DomainError,
    EReferralInvalid,
    HoldExpired,
    RestrictionViolated,
    SlotTaken,
)
from core.models import Service
from core.patients.identity import normalize_phone
from core.schedule.search import SlotQuery
from core.vocab import CallOutcome, Channel
from edge.i18n import Texts
from ivr import spoken, whom
from ivr.desk import desk
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, menu_option, reachable, words
from ivr.twiml import Option, Prompt

log = logging.getLogger(__name__)


MAX_LISTED = 8  # specialties or services read out in one prompt
CANDIDATES = 10  # slots looked at for one offer (some may be held by other callers)


def _bookable(services: list[Service]) -> list[Service]:
    """What can be booked by phone: a referral needs the desk."""
    return [s for s in services if not s.referral_required]


async def _ask_pick(turn: Turn) -> None:
    t = turn.texts
    catalog = turn.services.catalog
    specialties = (await catalog.specialties())[:MAX_LISTED]
    doctors = await catalog.doctors()
    lang = t.language
    options = [
        Option(str(n), local_name(s, lang), f"spec:{s.id}", (s.name, local_name(s, lang)))
        for n, s in enumerate(specialties, 1)
    ]
    again = await _last_service(turn)
    if again is not None:  # read first: the earliest time of what the caller had last
        label = t._("For the earliest {service}, as last time", service=local_name(again, lang))
        options.insert(0, Option("0", label, f"svc:{again.id}", words(t._("again, as last time"))))
    options.append(menu_option(turn))
    names = [spoken.doctor_name(d) for d in doctors]
    turn.prompt = Prompt(
        t._("Which specialty? Or say the doctor's name."),
        options,
        hints=[local_name(s, lang) for s in specialties] + names,
        spoken_only=[
            Option("", name, f"doc:{d.id}", (name, d.last_name))
            for d, name in zip(doctors, names, strict=True)
        ],
        simple=t._("Choose a specialty."),
    )


async def _last_service(turn: Turn) -> Service | None:
    """The service of the caller's last visit, when it can still be booked by phone."""
    if turn.call.patient_id is None:
        return None
    service_id = await turn.services.booking.last_service(turn.call.patient_id)
    if service_id is None:
        return None
    offered = {s.id: s for s in _bookable(await turn.services.catalog.services())}
    return offered.get(service_id)


async def _answer_pick(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    catalog = turn.services.catalog
    if action is None:
        return False
    if action == "menu":
        await go(turn, "menu")
        return True
    if action.startswith("svc:"):  # the earliest time of the last visit's service
        turn.data.pop("doctor", None)
        turn.data["service"] = int(action[4:])
        await whom.choose(turn)
        return True
    kind, _sep, ident = action.partition(":")
    if kind == "spec":
        found = [s for s in await catalog.services() if s.specialty_id == int(ident)]
        turn.data.pop("doctor", None)
    elif kind == "doc":
        found = await catalog.services_of(int(ident))
        turn.data["doctor"] = int(ident)
    else:
        return False
    bookable = _bookable(found)
    if not bookable:
        turn.say(turn.texts._("This can only be booked at the registration desk."))
        await desk(turn)
        return True
    if len(bookable) == 1:
        turn.data["service"] = bookable[0].id
        await whom.choose(turn)
        return True
    turn.data["services"] = [s.id for s in bookable[:MAX_LISTED]]
    await go(turn, "service")
    return True


async def _ask_service(turn: Turn) -> None:
    t = turn.texts
    catalog = turn.services.catalog
    services = [await catalog.service(i) for i in turn.data["services"]]
    lang = t.language
    options = [
        Option(str(n), local_name(s, lang), f"svc:{s.id}", (s.name, local_name(s, lang)))
        for n, s in enumerate(services, 1)
    ]
    options.append(menu_option(turn))
    hints = [local_name(s, lang) for s in services]
    turn.prompt = Prompt(t._("Which visit?"), options, hints=hints)


async def _answer_service(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if action == "menu":
        await go(turn, "menu")
        return True
    if not action or not action.startswith("svc:"):
        return False
    turn.data["service"] = int(action[4:])
    await whom.choose(turn)
    return True


async def _ask_offer(turn: Turn) -> None:
    t = turn.texts
    data = turn.data
    if "slot" not in data and not await _hold_next(turn):
        return
    slot = data["slot"]
    start = datetime.fromisoformat(slot["start"])
    doctor = slot["doctor_name"]
    heard = spoken.spoken_slot(t, start, slot["tz"], doctor)
    intro = t._("The next free time is") if data.get("after") else t._("The earliest free time is")
    turn.prompt = Prompt(
        f"{intro} {heard}, {slot['branch_name']}.",
        [
            Option("1", t._("To take it"), "take", words(t._("yes, take it, good, fine"))),
            Option("2", t._("For the next one"), "next", words(t._("next, later, another time"))),
            Option("3", t._("For another day"), "day", words(t._("another day, different day"))),
            menu_option(turn),
        ],
    )


async def _hold_next(turn: Turn) -> bool:
    """Find the next free time after the one offered last and hold it for this caller.
    False (and another step asked) when there is none."""
    services = turn.services
    data = turn.data
    after = data.get("after")
    start = datetime.fromisoformat(data["from"]) if "from" in data else None
    if after and start is None:
        start = datetime.fromisoformat(after[0])
    query = SlotQuery(
        channel=Channel.VOICE,
        service_id=data["service"],
        doctor_id=data.get("doctor"),
        patient_id=data.get("for", turn.call.patient_id),  # whom the visit is for
        start=start,
        limit=CANDIDATES,
    )
    t = turn.texts
    try:
        found = await services.search.find(query)
    except RestrictionViolated:
        turn.say(t._("This visit is not available for you. Please choose another."))
        await go(turn, "pick")
        return False
    if after:
        last = (datetime.fromisoformat(after[0]), int(after[1]))
        found = [f for f in found if (f.start_at, f.doctor_id) > last]
    for free in found:
        try:
            ticket = await services.booking.hold(
                Channel.VOICE, data["service"], free.doctor_id, free.start_at
            )
        except SlotTaken:
            continue
        doctors = {d.id: d for d in await services.catalog.doctors()}
        branch = await services.catalog.branch(free.branch_id)
        data["hold"] = ticket.token
        data["slot"] = {
            "doctor": free.doctor_id,
            "doctor_name": spoken.doctor_name(doctors[free.doctor_id]),
            "start": free.start_at.isoformat(),
            "tz": free.timezone,
            "branch_name": local_name(branch, t.language),
        }
        return True
    turn.say(t._("There are no free times for this by phone in the coming weeks."))
    turn.forget_booking()
    await go(turn, "menu")
    return False


async def _answer_offer(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "take":
        service = await turn.services.catalog.service(data["service"])
        needs = service.e_referral_required and "move" not in data
        await go(turn, "e_referral" if needs and "e_referral" not in data else "confirm")
    elif action == "next":
        data["after"] = [data["slot"]["start"], data["slot"]["doctor"]]
        data.pop("from", None)
        await turn.release_hold()
        await go(turn, "offer")
    elif action == "day":
        slot = data["slot"]
        zone = ZoneInfo(slot["tz"])
        day = datetime.fromisoformat(slot["start"]).astimezone(zone).date() + timedelta(days=1)
        data["from"] = datetime.combine(day, time(), tzinfo=zone).isoformat()
        data.pop("after", None)
        await turn.release_hold()
        await go(turn, "offer")
    elif action == "menu":
        await turn.release_hold()
        turn.forget_booking()
        await go(turn, "menu")
    else:
        return False
    return True


E_REFERRAL_TRIES = 2


async def _ask_e_referral(turn: Turn) -> None:
    t = turn.texts
    name = await whom.first_name(turn)  # a child's referral carries the child's PESEL
    if name is None:
        question = t._(
            "This visit needs an e-referral. Please type the referral's four-digit code "
            "and then your eleven-digit PESEL number."
        )
        simple = t._("Type the four-digit code, then your PESEL.")
    else:
        question = t._(
            "This visit needs an e-referral. Please type the referral's four-digit code "
            "and then the eleven-digit PESEL number of {name}.",
            name=name,
        )
        simple = t._("Type the four-digit code, then the PESEL of {name}.", name=name)
    turn.prompt = Prompt(question, digits=CODE_DIGITS + 11, speech=False, timeout=15, simple=simple)


async def _answer_e_referral(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if not voice.digits:
        return False
    data = turn.data
    try:
        data["e_referral"] = parse_e_referral(voice.digits)
    except EReferralInvalid:
        data["e_referral_tries"] = tries = data.get("e_referral_tries", 0) + 1
        if tries >= E_REFERRAL_TRIES:
            await turn.release_hold()
            turn.forget_booking()
            turn.say(turn.texts._("I could not read the e-referral."))
            await desk(turn)
            return True
        turn.say(turn.texts._("That is not a code with a PESEL number. Once more, please."))
        await go(turn, "e_referral")
        return True
    await go(turn, "confirm")
    return True


async def _ask_confirm(turn: Turn) -> None:
    t = turn.texts
    slot = turn.data["slot"]
    heard = spoken.spoken_slot(
        t, datetime.fromisoformat(slot["start"]), slot["tz"], slot["doctor_name"]
    )
    if "move" in turn.data:
        question = t._(
            "Your visit will be moved to {slot}, {branch}.", slot=heard, branch=slot["branch_name"]
        )
    else:  # the time was just heard: the service, the day and a dependent's name say it
        service = await turn.services.catalog.service(turn.data["service"])
        local = datetime.fromisoformat(slot["start"]).astimezone(ZoneInfo(slot["tz"]))
        said = {
            "service": local_name(service, t.language),
            "day": spoken.spoken_day(t, local.date()),
            "time": spoken.spoken_time(t, local, slot["tz"]),
        }
        name = await whom.first_name(turn)
        if name is None:
            question = t._("Booking {service}, {day} at {time}.", **said)
        else:
            question = t._("Booking {service} for {name}, {day} at {time}.", name=name, **said)
    turn.prompt = Prompt(
        question,
        [
            Option("1", t._("To confirm"), "yes", words(t._("yes, confirm, fine"))),
            Option("2", t._("To hear other times"), "no", words(t._("no, other times"))),
        ],
    )


async def _answer_confirm(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "no":
        data["after"] = [data["slot"]["start"], data["slot"]["doctor"]]
        await turn.release_hold()
        await go(turn, "offer")
        return True
    if action != "yes":
        return False
    services = turn.services
    t = turn.texts
    slot = data["slot"]
    start = datetime.fromisoformat(slot["start"])
    try:
        booking = await confirm_hold(
            services.booking,
            turn.actor,
            service_id=data["service"],
            doctor_id=slot["doctor"],
            start_at=start,
            hold_token=data.get("hold"),
            move=data.get("move"),
            e_referral=data.get("e_referral"),
            for_patient=data.get("for"),
        )
    except (SlotTaken, HoldExpired):
        data.pop("hold", None)
        data.pop("slot", None)
        turn.say(t._("Sorry, someone has just taken that time."))
        await go(turn, "offer")
        return True
    except AlreadyBooked as error:
        await turn.release_hold()
        turn.forget_booking()
        turn.say(_already_booked(t, error, slot["tz"]))
        await go(turn, "menu")
        return True
    except DomainError as error:
        log.info("phone booking refused: %s", error.code)
        await turn.release_hold()
        turn.forget_booking()
        turn.say(t._("I could not book this visit by phone."))
        await desk(turn)
        return True
    if "move" in data:
        turn.call.outcome = CallOutcome.MOVED
        turn.say(t._("Your visit is moved. We will send you a text message with the details."))
    else:
        turn.call.outcome = CallOutcome.BOOKED
        turn.say(t._("Your visit is booked. We will send you a text message with the details."))
    turn.call.booking_id = booking.id
    data.pop("hold", None)
    turn.forget_booking()
    if reachable(turn.call.caller):
        services.confirmations.confirm(
            booking, normalize_phone(turn.call.caller), turn.call.language
        )
    await go(turn, "menu")
    return True


def _already_booked(t: Texts, error: AlreadyBooked, tz: str) -> str:
    """The refusal, naming the visit the caller already has."""
    if "start_at" not in error.details:
        return t._("You already have a visit of this service: one at a time.")
    tz = str(error.details.get("timezone") or tz)
    local = datetime.fromisoformat(str(error.details["start_at"])).astimezone(ZoneInfo(tz))
    return t._(
        "You already have a visit of this service, {day} at {time}: one at a time.",
        day=spoken.spoken_day(t, local.date()),
        time=spoken.spoken_time(t, local, tz),
    )


STEPS = {
    "pick": Step(_ask_pick, _answer_pick),
    "service": Step(_ask_service, _answer_service),
    "offer": Step(_ask_offer, _answer_offer),
    "e_referral": Step(_ask_e_referral, _answer_e_referral),
    "confirm": Step(_ask_confirm, _answer_confirm),
}
