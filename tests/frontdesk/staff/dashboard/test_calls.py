"""What calls leave (frontdesk/staff/dashboard/calls.py) over HTTP, on SQLite and PostgreSQL: the
callback queue worked within the branch, and tasks showing what the caller left, taken once."""

from __future__ import annotations

from core.calls.callbacks import CallbackService
from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import CallbackRequest, StaffTask
from core.patients.cards import PatientDraft, PatientService
from core.vocab import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    ContactKind,
    TaskKind,
    TaskStatus,
)
from testkit.dashboard import Client, log_in
from testkit.factories import adult
from testkit.staff_desk import Desk


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


async def test_a_callback_from_a_card_s_number_shows_the_card_and_books_for_the_caller(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    card = await PatientService(db, clock).register(
        PatientDraft("Anna", "Nowak", contacts={ContactKind.PHONE: "601 234 567"})
    )
    request = await CallbackService(db, clock).request(
        "+48601234567",
        CallbackReason.AFTER_HOURS,
        call_sid="CA1",
        language="pl",
        branch_id=clinic.clinic.branch.id,
    )
    assert request.patient_id is None  # the caller did not confirm who they are
    await log_in(client, "reg")
    page = await (await client.get("/staff/callbacks")).text()
    assert f'<a href="/staff/patients/{card.id}">Anna Nowak</a>' in page
    assert "Not identified" not in page
    assert (
        f"/staff/grid?branch={clinic.clinic.branch.id}&amp;day=2026-12-01&amp;patient={card.id}"
        in page
    )


async def test_no_answer_puts_the_callback_back_for_later(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    request = await CallbackService(db, clock).request(
        "+48501000002",
        CallbackReason.MISSED,
        call_sid="CA2",
        language="pl",
        branch_id=clinic.clinic.branch.id,
    )
    token = await log_in(client, "reg")
    await client.post(f"/staff/callbacks/{request.id}/take", data={"csrf_token": token})
    await client.post(
        f"/staff/callbacks/{request.id}/done",
        data={"csrf_token": token, "outcome": "no_answer", "note": "voicemail full"},
    )
    async with db.read() as session:
        back = await session.get_one(CallbackRequest, request.id)
    assert (back.status, back.attempts, back.taken_by) == (CallbackStatus.OPEN, 1, None)
    page = await (await client.get("/staff/callbacks")).text()
    assert "Calls back unanswered: 1 · call again after 08:30" in page  # Warsaw's time
    assert "Take: +48501000002" in page
