"""The staff dashboard over HTTP: who may open which page, CSRF on every form, scope by
branch and by doctor, and each page's work reaching the core (statuses, move, cancel,
restore, escalation replies), in the member's language. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from yarl import URL

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.calls.callbacks import CallbackService
from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.escalation import EscalationService
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.models import (
    Booking,
    BookingChange,
    CallbackRequest,
    OutboxEvent,
    ScheduleConflict,
    StaffTask,
)
from core.vocab import (
    BookingStatus,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    Channel,
    EventKind,
    TaskKind,
    TaskStatus,
)
from frontdesk.app import create_app
from frontdesk.dashboard.inbox import POLL_SECONDS
from frontdesk.settings import load_settings
from testkit.factories import adult
from testkit.staff_desk import PASSWORD, Desk, desk

Client = TestClient[web.Request, web.Application]

# Wednesday 2 December 2026, 08:00 in Warsaw; the clock stands on Tuesday 1 December.
WEDNESDAY_8 = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> Desk:
    return await desk(db, clock)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, database_url: str, clock: FrozenClock, clinic: Desk
) -> Client:
    settings = load_settings(
        database_url=database_url,
        secret_key="dashboard-secret-key-0123456789abcdef",
        run_worker_in_process=False,
    )
    return await aiohttp_client(create_app(settings, clock=clock))


async def log_in(client: Client, login: str, language: str = "en") -> str:
    """Sign in through the form as a browser would; the CSRF token of the new session."""
    client.session.cookie_jar.update_cookies({"staff_language": language})
    form = await client.get("/staff/login")
    token = CSRF.search(await form.text())
    assert token is not None
    done = await client.post(
        "/staff/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token[1], "next": "/staff/"},
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    return await csrf(client)


async def csrf(client: Client, path: str = "/staff/today") -> str:
    page = await client.get(path)
    assert page.status == 200, await page.text()
    token = CSRF.search(await page.text())
    assert token is not None
    return token[1]


async def book(
    db: Database, clock: FrozenClock, clinic: Desk, doctor_id: int | None, n: int
) -> int:
    """A consultation on Wednesday at 08:00 local with `doctor_id`, for the n-th test patient."""
    assert doctor_id is not None
    assert clinic.clinic.consult.id is not None
    patient = await adult(db, clock, n)
    booking = await BookingService(db, clock).book(
        Actor.staff("setup"),
        VisitRequest(
            patient_id=patient,
            service_id=clinic.clinic.consult.id,
            doctor_id=doctor_id,
            start_at=WEDNESDAY_8,
        ),
    )
    assert booking.id is not None
    return booking.id


async def status_of(db: Database, booking_id: int) -> BookingStatus:
    async with db.read() as session:
        return (await session.get_one(Booking, booking_id)).status


# -- who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/staff/today", "/staff/bookings", "/staff/inbox", "/staff/trash", "/staff/bookings/1"]
)
async def test_a_visitor_is_sent_to_the_login_form_and_back(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303
    target = URL(response.headers["Location"])
    assert (target.path, target.query["next"]) == ("/staff/login", path)


async def test_logging_in_leads_back_to_the_page_asked_for(client: Client) -> None:
    form = await client.get("/staff/login?next=/staff/trash")
    html = await form.text()
    assert 'value="/staff/trash"' in html
    token = CSRF.search(html)
    assert token is not None
    done = await client.post(
        "/staff/login",
        data={"login": "reg", "password": PASSWORD, "csrf_token": token[1], "next": "/staff/trash"},
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/staff/trash"
    assert (await client.get("/staff/trash")).status == 200


async def test_a_wrong_password_shows_the_form_with_the_error(client: Client) -> None:
    client.session.cookie_jar.update_cookies({"staff_language": "en"})
    form = await client.get("/staff/login")
    token = CSRF.search(await form.text())
    assert token is not None
    done = await client.post(
        "/staff/login", data={"login": "reg", "password": "nope" * 4, "csrf_token": token[1]}
    )
    assert done.status == 200
    assert "Wrong login or password" in await done.text()
    assert (await client.get("/staff/today", allow_redirects=False)).status == 303


async def test_a_form_without_the_csrf_token_changes_nothing(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    for sent in ({}, {"csrf_token": "forged"}):
        response = await client.post(
            f"/staff/bookings/{booking_id}/status", data={"status": "arrived", **sent}
        )
        assert response.status == 403
        assert "text/html" in response.headers["Content-Type"]
    assert await status_of(db, booking_id) is BookingStatus.BOOKED
    done = await client.post(
        f"/staff/bookings/{booking_id}/status",
        data={"status": "arrived", "csrf_token": token},
        allow_redirects=False,
    )
    assert done.status == 303
    assert await status_of(db, booking_id) is BookingStatus.ARRIVED


async def test_a_registrar_of_one_branch_cannot_reach_another_branchs_booking(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    ours = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    theirs = await book(db, clock, clinic, clinic.other_doctor.id, 2)
    token = await log_in(client, "reg")

    assert (await client.get(f"/staff/bookings/{ours}")).status == 200
    page = await client.get(f"/staff/bookings/{theirs}")
    assert page.status == 404
    assert "Testowa2" not in await page.text()
    for action, form in (
        ("status", {"status": "arrived"}),
        ("cancel", {"reason": "test"}),
        ("move", {"doctor": str(clinic.other_doctor.id), "start": "2026-12-04T07:00:00+00:00"}),
        ("restore", {}),
    ):
        response = await client.post(
            f"/staff/bookings/{theirs}/{action}", data={"csrf_token": token, **form}
        )
        assert response.status == 404, action
    assert await status_of(db, theirs) is BookingStatus.BOOKED
    grid = await (await client.get("/staff/bookings?patient=Testowa")).text()
    assert "Testowa1" in grid
    assert "Testowa2" not in grid
    # Asking for the other branch by its id in the form shows nothing either.
    other = await (await client.get(f"/staff/bookings?branch={clinic.other_branch.id}")).text()
    assert "Testowa2" not in other


async def test_a_doctor_sees_only_their_own_schedule_and_cannot_move_visits(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    mine = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    other = await book(db, clock, clinic, clinic.other_doctor.id, 2)
    token = await log_in(client, "kowalska")
    day = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "Testowa1" in day
    assert (await client.get(f"/staff/bookings/{other}")).status == 404
    assert (await client.get(f"/staff/bookings/{mine}/move")).status == 403
    assert (await client.get("/staff/inbox")).status == 403
    cancelled = await client.post(
        f"/staff/bookings/{mine}/cancel", data={"csrf_token": token, "reason": "x"}
    )
    assert cancelled.status == 403
    assert await status_of(db, mine) is BookingStatus.BOOKED


# -- the pages' work ------------------------------------------------------------------------


async def test_today_lists_the_days_visits_per_doctor_and_marks_an_arrival(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    html = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "lek. Anna Kowalska" in html
    assert "Ewa Testowa1" in html
    assert "08:00" in html  # 07:00 UTC, shown in Warsaw's time
    assert "Mark arrived" in html
    assert "Ewa Testowa1" not in await (await client.get("/staff/today?day=2026-12-03")).text()

    done = await client.post(
        f"/staff/bookings/{booking_id}/status",
        data={"status": "arrived", "csrf_token": token, "next": "/staff/today?day=2026-12-02"},
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/staff/today?day=2026-12-02"
    assert await status_of(db, booking_id) is BookingStatus.ARRIVED
    async with db.read() as session:
        [change] = (
            await session.execute(
                select(BookingChange).where(col(BookingChange.action) == "status")
            )
        ).scalars()
    assert (change.actor, change.channel) == ("reg", Channel.STAFF)
    page = await (await client.get(f"/staff/bookings/{booking_id}")).text()
    assert "Renata Rejestracja" in page  # the history names the member, not their login


async def test_search_by_name_phone_and_status(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await log_in(client, "admin")
    assert "Testowa1" in await (await client.get("/staff/bookings?patient=ewa+testowa1")).text()
    assert "Testowa1" in await (await client.get("/staff/bookings?phone=501+000+001")).text()
    assert "Testowa1" not in await (await client.get("/staff/bookings?phone=999999")).text()
    assert "Testowa1" not in await (await client.get("/staff/bookings?status=arrived")).text()
    assert (
        "Testowa1"
        in await (await client.get("/staff/bookings?from=2026-12-02&to=2026-12-02")).text()
    )
    assert "Testowa1" not in await (await client.get("/staff/bookings?from=2026-12-03")).text()
    bad = await client.get("/staff/bookings?from=yesterday")
    assert bad.status == 400


async def test_move_to_a_free_slot_then_cancel_and_restore(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    choices = await (await client.get(f"/staff/bookings/{booking_id}/move?day=2026-12-03")).text()
    thursday = "2026-12-03T07:00:00+00:00"
    assert f'value="{thursday}"' in choices
    moved = await client.post(
        f"/staff/bookings/{booking_id}/move",
        data={
            "csrf_token": token,
            "doctor": str(clinic.clinic.internist.id),
            "branch": str(clinic.clinic.branch.id),
            "start": thursday,
        },
        allow_redirects=False,
    )
    assert moved.status == 303, await moved.text()
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at.isoformat() == thursday
    # The other branch is not the registrar's: a slot there is refused.
    refused = await client.post(
        f"/staff/bookings/{booking_id}/move",
        data={
            "csrf_token": token,
            "doctor": str(clinic.other_doctor.id),
            "branch": str(clinic.other_branch.id),
            "start": "2026-12-04T07:00:00+00:00",
        },
    )
    assert refused.status == 403

    await client.post(
        f"/staff/bookings/{booking_id}/cancel", data={"csrf_token": token, "reason": "ill"}
    )
    assert await status_of(db, booking_id) is BookingStatus.CANCELLED
    trash = await (await client.get("/staff/trash")).text()
    assert "Testowa1" in trash
    await client.post(f"/staff/bookings/{booking_id}/restore", data={"csrf_token": token})
    assert await status_of(db, booking_id) is BookingStatus.BOOKED
    assert "Testowa1" not in await (await client.get("/staff/trash")).text()
    history = await (await client.get(f"/staff/bookings/{booking_id}")).text()
    for action in ("Moved", "Cancelled", "Restored"):
        assert action in history


async def test_a_reply_from_the_inbox_is_queued_for_the_patients_chat(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    case = await EscalationService(db, clock).open(
        Channel.TELEGRAM, "4242", reason="asked", language="uk", transcript=[("patient", "Алло")]
    )
    token = await log_in(client, "reg")
    listing = await (await client.get("/staff/inbox")).text()
    assert f"/staff/inbox/{case.id}" in listing
    assert "Алло" in listing
    await client.post(f"/staff/inbox/{case.id}/take", data={"csrf_token": token})
    await client.post(
        f"/staff/inbox/{case.id}/reply", data={"csrf_token": token, "text": "Dzień dobry!"}
    )
    page = await (await client.get(f"/staff/inbox/{case.id}")).text()
    assert "Dzień dobry!" in page
    assert "Renata Rejestracja" in page
    async with db.read() as session:
        [event] = (
            await session.execute(
                select(OutboxEvent).where(col(OutboxEvent.kind) == EventKind.ESCALATION_REPLY)
            )
        ).scalars()
    assert event.payload["chat_id"] == "4242"
    await client.post(f"/staff/inbox/{case.id}/close", data={"csrf_token": token})
    assert f"/staff/inbox/{case.id}" not in await (await client.get("/staff/inbox")).text()


async def test_the_event_stream_tells_of_a_new_conversation(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await log_in(client, "reg")
    stream = await client.get("/staff/inbox/events")
    assert stream.headers["Content-Type"] == "text/event-stream"
    first = await stream.content.readuntil(b"\n\n")
    assert first.startswith(b"retry: 3000\nevent: stamp\n")
    await EscalationService(db, clock).open(
        Channel.WHATSAPP, "+48501", reason="asked", language="pl"
    )
    changed = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), POLL_SECONDS * 5)
    assert changed.startswith(b"event: changed\n")
    stream.close()


async def test_pages_speak_the_members_language(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg", language="uk")
    page = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert '<html lang="uk">' in page
    assert "середа, 2 грудня" in page
    assert "Позначити прибуття" in page  # "Mark arrived", from the catalog
    await client.post(
        "/staff/language", data={"csrf_token": token, "language": "pl", "next": "/staff/today"}
    )
    page = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "środa, 2 grudnia" in page
    assert "Oznacz przybycie" in page


async def test_a_reminder_template_is_previewed_with_the_clinics_data(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    rule = await ReminderRules(db, clock).add(default_rules()[0])
    token = await log_in(client, "admin")
    shown = await client.post(
        f"/staff/reminders/{rule.id}/preview",
        data={"csrf_token": token, "language": "en", "text": "{{ clinic }} on {{ date }}"},
    )
    assert "Przychodnia Testowa on Wednesday, December 2, 2026" in await shown.text()
    wrong = await client.post(
        f"/staff/reminders/{rule.id}/preview",
        data={"csrf_token": token, "language": "en", "text": "{{ pesel }}"},
    )
    assert "pesel" in await wrong.text()


async def test_the_waiting_list_shows_the_registrars_branches_and_any_branch(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    waitlist = WaitlistService(db, clock)
    for n, branch in ((1, clinic.clinic.branch), (2, clinic.other_branch), (3, None)):
        await waitlist.join(
            WaitRequest(
                patient_id=await adult(db, clock, n),
                channel=Channel.TELEGRAM,
                service_id=clinic.clinic.consult.id,
                branch_id=branch.id if branch else None,
                time_from=time(8),
                time_to=time(10),
            )
        )
    await log_in(client, "reg")
    page = await (await client.get("/staff/waitlist")).text()
    assert "Ewa Testowa1" in page
    assert "Ewa Testowa2" not in page  # waits in Wola only
    assert "Ewa Testowa3" in page  # any branch will do
    assert "08:00–10:00" in page
    await log_in(client, "kowalska")
    assert (await client.get("/staff/waitlist")).status == 403


async def test_schedules_show_the_templates_and_conflicts_in_scope(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)

    async def conflict(session: AsyncSession) -> None:
        assert clinic.clinic.internist.id is not None
        session.add(
            ScheduleConflict(
                booking_id=booking_id,
                doctor_id=clinic.clinic.internist.id,
                start_at=WEDNESDAY_8,
                detected_at=clock.now(),
            )
        )

    await db.write(conflict)
    await log_in(client, "reg-wola")
    page = await (await client.get("/staff/schedules")).text()
    assert "Marek Zieliński" in page
    assert "Anna Kowalska" not in page
    assert f"/staff/bookings/{booking_id}" not in page
    await log_in(client, "reg")
    page = await (await client.get("/staff/schedules")).text()
    assert "lek. Anna Kowalska" in page
    assert f"/staff/bookings/{booking_id}" in page
    assert "08:00–12:00" in page


async def test_errors_under_staff_are_pages_and_every_page_forbids_framing(
    client: Client, clinic: Desk
) -> None:
    await log_in(client, "reg")
    missing = await client.get("/staff/bookings/999999")
    assert missing.status == 404
    assert "Not found, or not in your branches." in await missing.text()
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]
    assert missing.headers["Cache-Control"] == "no-store"
    unknown = await client.get("/staff/nowhere")
    assert unknown.status == 404
    assert unknown.headers["Content-Type"].startswith("text/html")
    # Outside /staff/ the API keeps its JSON errors.
    assert (
        (await client.get("/api/v1/nowhere")).headers["Content-Type"].startswith("application/json")
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/api/v1/me"])
async def test_a_form_never_sends_the_browser_off_the_dashboard(
    client: Client, clinic: Desk, target: str
) -> None:
    token = await log_in(client, "reg")
    done = await client.post(
        "/staff/language",
        data={"csrf_token": token, "language": "uk", "next": target},
        allow_redirects=False,
    )
    assert done.status == 303
    assert done.headers["Location"] == "/staff/today"
    assert done.cookies["staff_language"].value == "uk"


async def test_an_admin_saves_a_reminder_text_once_it_checks(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    rules = ReminderRules(db, clock)
    rule = await rules.add(default_rules()[0])
    before = dict(rule.templates)
    token = await log_in(client, "reg")
    refused = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "Hello {{ first_name }}"},
    )
    assert refused.status == 403
    token = await log_in(client, "admin")
    wrong = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "{{ pesel }}"},
    )
    assert "unknown parameters: pesel" in await wrong.text()
    [unchanged] = await rules.all()
    assert unchanged.templates == before
    saved = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "Hello {{ first_name }}"},
        allow_redirects=False,
    )
    assert saved.status == 303
    [changed] = await rules.all()
    assert changed.templates == {**before, "en": "Hello {{ first_name }}"}


# -- what calls leave: callbacks and tasks ----------------------------------------------------


async def test_the_callback_queue_is_worked_from_its_page_within_the_branch(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    callbacks = CallbackService(db, clock)
    ours = await callbacks.request(
        "+48501000001",
        CallbackReason.QUEUE_LONG,
        call_sid="CA1",
        language="pl",
        patient_id=await adult(db, clock, 1),
        branch_id=clinic.clinic.branch.id,
    )
    await callbacks.request(
        "+48501000002",
        CallbackReason.MISSED,
        call_sid="CA2",
        language="pl",
        branch_id=clinic.other_branch.id,
    )
    token = await log_in(client, "reg")
    page = await (await client.get("/staff/callbacks")).text()
    assert "Ewa Testowa1" in page
    assert "Chose a callback instead of waiting" in page
    assert "+48501000002" not in page  # Wola's

    forged = await client.post(f"/staff/callbacks/{ours.id}/take", data={"csrf_token": "x"})
    assert forged.status == 403
    taken = await client.post(
        f"/staff/callbacks/{ours.id}/take", data={"csrf_token": token}, allow_redirects=False
    )
    assert taken.headers["Location"] == f"/staff/callbacks#callback-{ours.id}"
    assert "Taken by Renata Rejestracja" in await (await client.get("/staff/callbacks")).text()
    refused = await client.post(
        f"/staff/callbacks/{ours.id}/done", data={"csrf_token": token, "outcome": "later"}
    )
    assert refused.status == 400
    await client.post(
        f"/staff/callbacks/{ours.id}/done",
        data={"csrf_token": token, "outcome": "reached", "note": "moved to Friday"},
    )
    async with db.read() as session:
        done = await session.get_one(CallbackRequest, ours.id)
    assert (done.status, done.outcome, done.note) == (
        CallbackStatus.DONE,
        CallbackOutcome.REACHED,
        "moved to Friday",
    )
    assert (
        "Nobody is waiting for a call back." in await (await client.get("/staff/callbacks")).text()
    )

    token = await log_in(client, "reg-wola")
    again = await client.post(f"/staff/callbacks/{ours.id}/take", data={"csrf_token": token})
    assert again.status == 404
    await log_in(client, "kowalska")
    assert (await client.get("/staff/callbacks")).status == 403
    assert (await client.get("/staff/tasks")).status == 403
    await log_in(client, "reg", language="pl")
    polish = await (await client.get("/staff/callbacks")).text()
    assert "Nikt nie czeka na oddzwonienie." in polish
    assert ">Zadania</a>" in polish  # the menu


async def test_tasks_show_what_the_caller_left_and_are_taken_once(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    tasks = TaskService(db, clock)
    spoken = await tasks.create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"transcript": "Euthyrox pięćdziesiąt"},
        patient_id=await adult(db, clock, 1),
        phone="+48501000001",
        branch_id=clinic.clinic.branch.id,
    )
    await tasks.create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"recording_url": "https://api.twilio.com/2010-04-01/Recordings/RE1"},
        branch_id=clinic.clinic.branch.id,
    )
    await tasks.create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"recording_url": "javascript:alert(1)"},
        branch_id=clinic.clinic.branch.id,
    )
    await tasks.create(
        TaskKind.COMPLETE_CARD,
        language="uk",
        details={"spoken_name": "Olena Kowal"},
        branch_id=clinic.clinic.branch.id,
    )
    token = await log_in(client, "reg")
    page = await (await client.get("/staff/tasks")).text()
    assert "Euthyrox pięćdziesiąt" in page
    assert 'href="https://api.twilio.com/2010-04-01/Recordings/RE1"' in page
    assert "javascript:" not in page
    assert "Name as spoken: Olena Kowal" in page
    assert "Card to complete" in page

    await client.post(f"/staff/tasks/{spoken.id}/take", data={"csrf_token": token})
    admin_token = await log_in(client, "admin")
    listed = await (await client.get("/staff/tasks")).text()
    assert "Taken by Renata Rejestracja" in listed
    assert f'action="/staff/tasks/{spoken.id}/take"' not in listed
    assert f'action="/staff/tasks/{spoken.id}/close"' in listed  # an admin may still close it
    second = await client.post(f"/staff/tasks/{spoken.id}/take", data={"csrf_token": admin_token})
    assert second.status == 409
    assert "Someone else has already taken this." in await second.text()
    closed = await client.post(
        f"/staff/tasks/{spoken.id}/close",
        data={"csrf_token": admin_token, "note": "renewed"},
        allow_redirects=False,
    )
    assert closed.status == 303  # an admin closes what a colleague took
    async with db.read() as session:
        done = await session.get_one(StaffTask, spoken.id)
    assert (done.status, done.note, done.taken_by, done.closed_by) == (
        TaskStatus.DONE,
        "renewed",
        "reg",
        "admin",
    )
