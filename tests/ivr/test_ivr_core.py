"""The core under the phone menu, on SQLite and PostgreSQL: callback requests merged per
number by the database (parallel calls too), a call's state guarded against a parallel
step, dates of birth throttled per number; and the pure parts (speech matching, spoken
dates, opening hours)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.calls.callbacks import CallbackService
from core.calls.reports import CallReports
from core.calls.store import Callers, CallStore, parse_birth_date
from core.calls.tasks import TaskService
from core.clinic.hours import is_open, next_opening
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import ConcurrentUpdate, InvalidTransition, NotFound, Throttled
from core.models import Doctor
from core.vocab import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallOutcome,
    TaskKind,
)
from edge.i18n import Texts
from frontdesk.settings import ConfigError, load_settings
from ivr.directory import CachedCatalog
from ivr.speech import match
from ivr.spoken import ordinal, spoken_slot
from testkit.factories import adult, small_clinic
from testkit.staff_desk import ADMIN

NUMBER = "+48501000009"


async def test_parallel_calls_from_one_number_make_one_request_with_their_count(
    db: Database, clock: FrozenClock
) -> None:
    callbacks = CallbackService(db, clock)
    await asyncio.gather(
        *(
            callbacks.request(NUMBER, CallbackReason.MISSED, call_sid=f"CA{n}", language="pl")
            for n in range(5)
        )
    )
    for _ in range(2):  # one call asking twice in a row (a key, then a hang-up) counts once
        await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA5", language="pl")
    (request,) = (await callbacks.queue(ADMIN)).items
    assert request.calls == 6
    assert request.status is CallbackStatus.OPEN

    await callbacks.done(ADMIN, request.id or 0, CallbackOutcome.REACHED)
    with pytest.raises(InvalidTransition):
        await callbacks.done(ADMIN, request.id or 0, CallbackOutcome.REACHED)
    assert (await callbacks.queue(ADMIN)).items == []
    fresh = await callbacks.request(
        NUMBER, CallbackReason.AFTER_HOURS, call_sid="CA9", language="uk"
    )
    assert fresh.id != request.id
    assert (fresh.calls, fresh.language) == (1, "uk")


async def test_a_step_saving_over_a_parallel_one_is_refused(
    db: Database, clock: FrozenClock
) -> None:
    await small_clinic(db, clock, days=1)
    calls = CallStore(db, clock)
    first = await calls.start("CA1", NUMBER, "+48221000000", None, "pl")
    second = await calls.load("CA1")
    first.state["step"] = "dob"
    await calls.save(first)
    second.state["step"] = "menu"
    with pytest.raises(ConcurrentUpdate):
        await calls.save(second)
    assert (await calls.load("CA1")).state["step"] == "dob"
    again = await calls.start("CA1", NUMBER, "+48221000000", None, "en")  # a retried webhook
    assert (again.language, again.version) == ("pl", 1)

    ended = await calls.finish("CA1", 42)
    assert ended is not None
    assert ended.outcome is CallOutcome.ABANDONED
    first.outcome = None
    first.state["step"] = "menu"
    await calls.save(first)  # a late step never erases the outcome the end recorded
    (row,) = (
        await CallReports(db).records(
            ADMIN,
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            limit=9,
            offset=0,
        )
    ).items
    assert row.outcome is CallOutcome.ABANDONED
    assert row.duration_seconds == 42
    assert await calls.finish("CA-unknown", 1) is None


async def test_dates_of_birth_typed_from_one_number_are_throttled(
    db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock)
    callers = Callers(db, clock)
    card = await callers.card_for("+48501000001")
    assert card is not None
    assert card.id == patient_id
    assert await callers.card_for("anonymous") is None
    assert await callers.card_for("+48501000002") is None
    assert await callers.confirm(patient_id, "+48501000001", "01051980")
    for wrong in ("02051980", "99999999", "0105198", "31021980"):
        assert not await callers.confirm(patient_id, "+48501000001", wrong)
    with pytest.raises(Throttled):
        await callers.confirm(patient_id, "+48501000001", "01051980")


async def test_tasks_are_listed_oldest_first_and_closed_once(
    db: Database, clock: FrozenClock
) -> None:
    tasks = TaskService(db, clock)
    made = await tasks.create(
        TaskKind.PRESCRIPTION, language="pl", details={"transcript": "x" * 5000}, phone=NUMBER
    )
    assert len(made.details["transcript"]) == 1000
    (listed,) = (await tasks.listed(ADMIN, kinds=frozenset({TaskKind.PRESCRIPTION}))).items
    assert listed.id == made.id
    assert (await tasks.listed(ADMIN, kinds=frozenset({TaskKind.COMPLETE_CARD}))).items == []
    await tasks.close(ADMIN, made.id or 0)
    with pytest.raises(InvalidTransition):
        await tasks.close(ADMIN, made.id or 0)


def test_speech_is_matched_to_the_option_it_resembles() -> None:
    options = {
        "1": ["rezerwacja", "umówić", "nowa wizyta"],
        "2": ["moje wizyty", "przenieść", "odwołać"],
        "3": ["recepta", "lek"],
        "~0": ["Anna Kowalska", "Kowalska"],
    }
    assert match("chciałabym się umówić", options) == "1"
    assert match("chce odwolac wizyte", options) == "2"
    assert match("do doktor kowalskiej", options) == "~0"
    assert match("Recepty", options) == "3"
    assert match("pogoda w Krakowie", options) is None
    assert match("", options) is None
    assert match("Tak, poproszę.", {"take": ["tak", "biorę"], "next": ["następny"]}) == "take"
    services = {"1": ["Konsultacja"], "2": ["Konsultacja rozszerzona"]}
    assert match("konsultacja rozszerzona", services) == "2"
    assert match("konsultację", services) == "1"


def test_days_are_read_naturally_in_each_language() -> None:
    assert [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
    ]  # fmt: skip
    start = datetime(2026, 12, 3, 13, 30, tzinfo=UTC)  # 14:30 in Warsaw
    heard = {
        lang: spoken_slot(Texts(lang), start, "Europe/Warsaw", "Anna Kowalska")
        for lang in ("en", "pl", "uk", "ru")
    }
    assert heard["en"] == "Thursday, the 3rd of December at 14:30, doctor Anna Kowalska"
    assert heard["pl"] == "czwartek, 3 grudnia o 14:30, doktor Anna Kowalska"
    assert heard["uk"] == "четвер, 3 грудня о 14:30, лікар Anna Kowalska"
    assert heard["ru"] == "четверг, 3 декабря в 14:30, врач Anna Kowalska"
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # daylight saving: 14:00 in Warsaw
    assert "14:00" in spoken_slot(Texts("en"), summer, "Europe/Warsaw", "X")


def test_birth_dates_typed_on_a_keypad() -> None:
    assert parse_birth_date("14031985") == date(1985, 3, 14)
    for bad in ("31021985", "1403198", "140319850", "14O31985", "１４031985"):
        assert parse_birth_date(bad) is None


async def test_opening_hours_in_the_branch_time_zone(db: Database, clock: FrozenClock) -> None:
    clinic = await small_clinic(db, clock, days=1)
    branch = clinic.branch  # Mon-Fri 08:00-18:00, Europe/Warsaw
    assert is_open(branch, datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # 08:00 local
    assert not is_open(branch, datetime(2026, 12, 1, 6, 59, tzinfo=UTC))
    assert not is_open(branch, datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 18:00 local
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    opening = next_opening(branch, friday_night)
    assert opening is not None
    assert (opening.date(), opening.hour) == (date(2026, 12, 7), 8)  # Monday


async def test_the_menu_reads_the_catalog_again_after_its_ttl(
    db: Database, clock: FrozenClock
) -> None:
    clinic = await small_clinic(db, clock, days=1)
    now = [0.0]
    catalog = CachedCatalog(db, ttl=60, monotonic=lambda: now[0])
    assert [d.last_name for d in await catalog.doctors()] == ["Kowalska", "Nowak"]

    async def retire(session: AsyncSession) -> None:
        doctor = await session.get_one(Doctor, clinic.paediatrician.id)
        doctor.active = False

    await db.write(retire)
    assert len(await catalog.doctors()) == 2  # kept for a minute
    now[0] = 61.0
    assert [d.last_name for d in await catalog.doctors()] == ["Kowalska"]
    assert (await catalog.branch(clinic.branch.id or 0)).name == "Mokotów"
    with pytest.raises(NotFound):
        await catalog.service(10_000)


def test_the_menu_language_per_dialled_number_is_checked_at_start() -> None:
    settings = load_settings(ivr_languages={"+48 22 299 77 01": "en"})
    assert settings.ivr_languages == {"+48222997701": "en"}
    with pytest.raises(ConfigError, match="IVR_LANGUAGES"):
        load_settings(ivr_languages={"+48222997701": "de"})
    with pytest.raises(ConfigError, match="IVR_LANGUAGES"):
        load_settings(ivr_languages={"reception": "pl"})
