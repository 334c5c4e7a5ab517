"""The dashboard end to end in a real headless Chromium (Debian's, driven by Playwright)
against the app served on loopback: a registrar logs in, finds a booking and moves it,
marks an arrival, answers a patient who asked for a person through the Telegram webhook
(the reply reaches the fake Bot API), restores a cancelled visit, and calls back a caller
who asked for it in the phone menu (Twilio's signed webhooks) and handles the
prescription another caller left there; an admin sends again or gives up what a fake
Docplanner refused, and maps a doctor. Each page is saved as a screenshot under
test-artifacts/dashboard/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import cast

from aiohttp.test_utils import TestServer
from playwright.async_api import Page, expect
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import TelegramSender
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.notifications import Dispatcher
from core.messaging.reminder_rules import ReminderRules, install_defaults
from core.messaging.reminders import ReminderPlanner
from core.models import Booking, CallbackRequest, StaffTask
from core.vocab import BookingStatus, CallbackOutcome, CallbackStatus, Channel, TaskStatus
from frontdesk.faces import telegram_config
from frontdesk.keys import SETTINGS
from testkit.dashboard import WEDNESDAY_8, book, refused_visit
from testkit.factories import adult
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import PATIENT
from testkit.messengers import Client, TelegramChat
from testkit.partner_setup import docplanner_rig
from testkit.phone import Phone
from testkit.staff_desk import PASSWORD, Desk

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "dashboard"  # the repository's
# Long enough for the inbox's event stream (polling every 2 s) to bring a new case.
WAIT_MS = 10_000


async def shot(page: Page, name: str, database_url: str) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)


async def log_in(page: Page, login: str, database_url: str) -> None:
    await page.goto("/staff/today?day=2026-12-02")
    await expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    await shot(page, "01-login", database_url)
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/staff/today\?day=2026-12-02$"))


async def status(db: Database, booking_id: int) -> Booking:
    async with db.read() as session:
        return await session.get_one(Booking, booking_id)


async def test_the_desk_finds_moves_and_marks_visits(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    moved_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    other_branch = await book(db, clock, clinic, clinic.other_doctor.id, 2)
    await log_in(page, "reg", database_url)

    # Today: Mokotów's visits only, at Warsaw's time; an arrival marked with one button.
    visit = page.get_by_role("row", name=re.compile("Ewa Testowa1"))
    await expect(visit).to_contain_text("08:00")
    await expect(page.get_by_text("Ewa Testowa2")).to_have_count(0)
    await shot(page, "02-today", database_url)

    # Bookings: search by name, open the visit, move it to Thursday's first free time.
    await page.get_by_role("link", name="Bookings").click()
    await page.get_by_label("Patient's name").fill("testowa1")
    await page.get_by_role("button", name="Search").click()
    await shot(page, "03-bookings", database_url)
    await page.get_by_role("link", name=re.compile("Wednesday, 2 December 2026")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ewa Testowa1")
    await page.get_by_role("link", name="Move").click()
    await page.get_by_label("From the day").fill("2026-12-03")
    await page.get_by_role("button", name="Show free times").click()
    await shot(page, "04-move", database_url)
    await page.get_by_role("link", name=re.compile(r"Thursday, 3 December 2026, 08:00")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the move")
    await page.get_by_role("button", name="Move the visit").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Thursday, 3 December")
    history = page.get_by_role("row", name=re.compile("Moved"))
    await expect(history).to_contain_text("Renata Rejestracja")
    await shot(page, "05-booking", database_url)
    moved = await status(db, moved_id)
    assert moved.start_at.isoformat() == "2026-12-03T07:00:00+00:00"

    # On Thursday morning, the arrival is marked on the day's list from the keyboard.
    tuesday = clock.now()
    clock.set(WEDNESDAY_8 + timedelta(days=1, hours=-1))
    await page.goto("/staff/today?day=2026-12-03")
    arrive = page.get_by_role("button", name=re.compile("Mark arrived: Ewa Testowa1"))
    await arrive.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("row", name=re.compile("Ewa Testowa1"))).to_contain_text(
        "Arrived"
    )
    assert (await status(db, moved_id)).status is BookingStatus.ARRIVED
    assert (await status(db, other_branch)).status is BookingStatus.BOOKED
    clock.set(tuesday)

    # A tablet held upright: every page fits its width, nothing to scroll sideways.
    await page.set_viewport_size({"width": 768, "height": 1024})
    for path in ("/staff/today?day=2026-12-03", "/staff/bookings", f"/staff/bookings/{moved_id}"):
        await page.goto(path)
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path
    await shot(page, "05-booking-upright", database_url)
    await page.set_viewport_size({"width": 1024, "height": 768})

    for name, artifact in (("Waiting list", "06-waitlist"), ("Schedules", "06-schedules")):
        await page.get_by_role("link", name=name).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        await shot(page, artifact, database_url)
    await page.get_by_role("link", name="Services").click()
    await expect(page.get_by_role("row", name=re.compile("USG piersi"))).to_contain_text(
        "referral required"
    )
    await shot(page, "06-services", database_url)

    # A reminder's text previewed with the clinic's own data, as the patient would read it.
    await install_defaults(ReminderRules(db, clock))
    await page.get_by_role("link", name="Reminders").click()
    first_rule = page.locator("section.card").first
    await first_rule.get_by_label("Language").select_option("en")
    await first_rule.get_by_label("Text").fill("{{ first_name }}, see you on {{ date }}.")
    await first_rule.get_by_role("button", name="Preview").click()
    await expect(page.locator(".bubble")).to_have_text(
        "Anna, see you on Wednesday, 2 December 2026."
    )
    await shot(page, "06-reminders", database_url)


async def test_the_desk_answers_a_patient_who_asked_for_a_person(
    page: Page,
    server: TestServer,
    aiohttp_client: AiohttpClient,
    telegram: FakeTelegram,
    db: Database,
    clock: FrozenClock,
    clinic: Desk,
    database_url: str,
) -> None:
    await log_in(page, "reg", database_url)
    await page.get_by_role("link", name="Inbox").click()
    await expect(page.get_by_text("No conversations waiting.")).to_be_visible()

    # The patient asks for a person in Telegram while the inbox is open: it appears by itself.
    webhook = cast(Client, await aiohttp_client(server))  # the same server the browser uses
    chat = TelegramChat(webhook, telegram, 700_101, "uk")
    await chat.send("/start")
    await chat.press(action="m:human")
    await chat.send("Чи можна прийти раніше?")
    case = page.get_by_role("row", name=re.compile("Telegram"))
    await expect(case).to_contain_text("Чи можна прийти раніше?", timeout=WAIT_MS)
    await shot(page, "07-inbox", database_url)

    await case.get_by_role("link").click()
    await expect(page.locator(".transcript")).to_contain_text("Чи можна прийти раніше?")
    await page.get_by_role("button", name="Take").click()
    await page.get_by_label("Reply to the patient").fill("Так, приходьте о 9:00.")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.get_by_text("Так, приходьте о 9:00.")).to_be_visible()
    await expect(page.get_by_text("Renata Rejestracja").first).to_be_visible()
    await shot(page, "08-conversation", database_url)

    # The worker's pass: the reply planned and delivered to the patient's chat.
    assert server.app is not None
    bot = make_bot(telegram_config(server.app[SETTINGS]))
    try:
        await ReminderPlanner(db, clock).plan()
        sent = await Dispatcher(
            db, clock, {Channel.TELEGRAM: TelegramSender(bot)}, "browser-test"
        ).run_once()
    finally:
        await bot.session.close()
    assert sent.sent == 1
    [delivered] = [
        c for c in telegram.calls_of("sendMessage") if "Так, приходьте о 9:00." in c["text"]
    ]
    assert delivered["chat_id"] == 700_101  # the patient's chat, in their language's frame

    await page.get_by_role("button", name="Close").click()
    await expect(page.get_by_text("No conversations waiting.")).to_be_visible()


async def test_a_cancelled_visit_is_restored_from_the_trash(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 3)
    await log_in(page, "reg", database_url)
    await page.goto(f"/staff/bookings/{booking_id}")
    await page.get_by_label("Reason for cancelling").fill("patient phoned: ill")
    await page.get_by_role("button", name="Cancel the visit").click()
    await expect(page.locator(".facts").first).to_contain_text("Cancelled")
    assert (await status(db, booking_id)).status is BookingStatus.CANCELLED

    await page.get_by_role("link", name="Trash").click()
    row = page.get_by_role("row", name=re.compile("Ewa Testowa3"))
    await expect(row).to_contain_text("patient phoned: ill")
    await shot(page, "09-trash", database_url)
    await row.get_by_role("button", name=re.compile("Restore")).click()
    await expect(page.locator(".facts").first).to_contain_text("Booked")
    assert (await status(db, booking_id)).status is BookingStatus.BOOKED
    await expect(page.get_by_role("row", name=re.compile("Restored"))).to_contain_text(
        "Renata Rejestracja"
    )


async def test_the_desk_calls_back_a_caller_and_handles_a_prescription_request(
    page: Page,
    server: TestServer,
    aiohttp_client: AiohttpClient,
    db: Database,
    clock: FrozenClock,
    clinic: Desk,
    database_url: str,
) -> None:
    # Two calls through Twilio's signed webhooks to the server the browser uses: an unknown
    # number waits at the desk and asks to be called back; a patient asks for a prescription.
    await adult(db, clock)  # Ewa Testowa1, +48501000001, born 1 May 1980
    phones = cast(Client, await aiohttp_client(server))
    waiting = Phone(phones)
    await waiting.dial()
    await waiting.press("0")
    await waiting.wait_in_queue(seconds=75)
    await waiting.press_while_waiting("1")
    await waiting.leave_queue("leave")
    await waiting.hang_up()
    patient = Phone(phones, caller="+48501000001")
    await patient.dial()
    await patient.press("3")
    await patient.press("01051980")
    await patient.say("Metformina 500 miligramów")
    await patient.hang_up()

    await log_in(page, "reg", database_url)
    await page.set_viewport_size({"width": 768, "height": 1024})  # a tablet held upright
    for path in ("/staff/callbacks", "/staff/tasks"):
        await page.goto(path)
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path
    await shot(page, "12-tasks-upright", database_url)
    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.get_by_role("link", name="Callbacks").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Callbacks")
    row = page.get_by_role("row", name=re.compile(re.escape(PATIENT)))
    await expect(row).to_contain_text("Chose a callback instead of waiting")
    await shot(page, "10-callbacks", database_url)
    await row.get_by_role("button", name=f"Take: {PATIENT}").click()
    await expect(row).to_contain_text("Taken by Renata Rejestracja")
    await row.get_by_label("Outcome").select_option(label="Reached")
    await row.get_by_label("Note").fill("Booked for Friday")
    await shot(page, "11-callback-taken", database_url)
    await row.get_by_role("button", name=f"Mark done: {PATIENT}").click()
    await expect(page.get_by_text("Nobody is waiting for a call back.")).to_be_visible()
    async with db.read() as session:
        [done] = (await session.execute(select(CallbackRequest))).scalars()
    assert (done.status, done.outcome, done.note, done.closed_by) == (
        CallbackStatus.DONE,
        CallbackOutcome.REACHED,
        "Booked for Friday",
        "reg",
    )

    await page.get_by_role("link", name="Tasks").click()
    task = page.get_by_role("row", name=re.compile("Prescription renewal"))
    await expect(task).to_contain_text("Metformina 500 miligramów")
    await expect(task).to_contain_text("Ewa Testowa1")
    await shot(page, "12-tasks", database_url)
    await task.get_by_role("button", name=re.compile("^Take")).click()
    await expect(task).to_contain_text("Taken by Renata Rejestracja")
    await task.get_by_label("Note").fill("Renewed, patient told")
    await task.get_by_role("button", name=re.compile("^Mark done")).click()
    await expect(page.get_by_text("No tasks waiting.")).to_be_visible()
    async with db.read() as session:
        [closed] = (await session.execute(select(StaffTask))).scalars()
    assert (closed.status, closed.note, closed.branch_id) == (
        TaskStatus.DONE,
        "Renewed, patient told",
        clinic.clinic.branch.id,
    )


async def test_an_admin_settles_what_a_partner_refused(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    async with docplanner_rig(db, clock, clinic=clinic.clinic) as rig:
        await rig.sync.publish_all(Channel.ZNANYLEKARZ)
        await rig.settle()
        await refused_visit(rig, clinic, db, clock, 1)
        await refused_visit(rig, clinic, db, clock, 2)
        [first, second] = await rig.desk.failures(Channel.ZNANYLEKARZ)
        await log_in(page, "admin", database_url)
        await page.get_by_role("link", name="Partners").click()
        await expect(page).to_have_url(re.compile(r"/staff/partners/znanylekarz$"))
        refusals = page.locator("#failures")
        await expect(refusals.get_by_role("row", name=re.compile("HTTP 422"))).to_have_count(2)
        await shot(page, "13-partner-refusals", database_url)

        await page.get_by_role("button", name=f"Send again: Send the booking #{first.id}").click()
        await expect(page.locator(f"#failure-{first.id}")).to_have_count(0)
        await page.get_by_role("button", name=f"Give up: Send the booking #{second.id}").click()
        await expect(refusals).to_contain_text("Nothing refused.")
        await rig.settle()
        assert await rig.desk.failures(Channel.ZNANYLEKARZ) == []
        starts = {b.start for b in rig.fake.active()}
        assert WEDNESDAY_8 + timedelta(hours=1) in starts
        assert WEDNESDAY_8 + timedelta(hours=2) not in starts

        other = clinic.other_doctor.display_name
        await (
            page.get_by_role("listitem")
            .filter(has_text=other)
            .get_by_label("The partner's id")
            .fill("1001/302/9002")
        )
        await page.get_by_role("button", name=f"Map: {other}").click()
        await expect(page.locator("#mappings")).to_contain_text("1001/302/9002")
        await shot(page, "14-partner-mapped", database_url)
