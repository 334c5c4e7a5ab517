"""The desk's daily work in a real headless Chromium (Debian's, driven by Playwright), at a
laptop's 1366x768 and a tablet's 768x1024: axe-core finds no serious or critical
violation on any dashboard page, every control is reached with the Tab key and nothing
scrolls sideways; a registrar marks a no-show on the day's page and finds it in the
report; a callback that finds nobody comes back later with its attempt counted.
Screenshots under test-artifacts/dashboard/."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.async_api import Page, ViewportSize, expect
from sqlalchemy import select

from core.calls.callbacks import CallbackService
from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.escalation import EscalationService
from core.messaging.reminder_rules import ReminderRules, install_defaults
from core.models import CallbackRequest
from core.patients.cards import PatientDraft, PatientService
from core.vocab import (
    BookingStatus,
    CallbackReason,
    CallbackStatus,
    Channel,
    ContactKind,
    TaskKind,
)
from testkit.accessibility import serious_violations
from testkit.dashboard import WEDNESDAY_8, book
from testkit.staff_desk import Desk
from tests.frontdesk.staff.dashboard.test_browser import log_in, shot, status

LAPTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 768, "height": 1024}
# What the Tab key must reach on a page: every visible control (of a group of radio
# buttons, the checked one: the arrow keys move within the group).
CONTROLS = (
    "a[href], button, input:not([type=hidden]):not([type=radio]), input[type=radio]:checked,"
    " select, textarea"
)
MAX_TABS = 400


async def unreachable_by_tab(page: Page) -> list[str]:
    """The visible controls that pressing Tab from the top of the page never focuses."""
    marked = await page.evaluate(
        """(selector) => {
            let n = 0;
            for (const el of document.querySelectorAll(selector)) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 && box.height === 0) continue;
                if (el.disabled) continue;
                el.dataset.tabCheck = String(n++);
            }
            return n;
        }""",
        CONTROLS,
    )
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.focus("body")
    reached: set[str] = set()
    for _ in range(min(MAX_TABS, marked * 2 + 5)):
        await page.keyboard.press("Tab")
        mark = await page.evaluate(
            "document.activeElement && document.activeElement.dataset.tabCheck"
        )
        if mark is not None:
            if mark in reached and len(reached) == marked:
                break
            reached.add(mark)
        if len(reached) == marked:
            break
    missed: list[str] = await page.evaluate(
        """(reached) => [...document.querySelectorAll('[data-tab-check]')]
            .filter(el => !reached.includes(el.dataset.tabCheck))
            .map(el => el.outerHTML.slice(0, 120))""",
        sorted(reached),
    )
    return missed


async def every_page(db: Database, clock: FrozenClock, clinic: Desk) -> list[str]:
    """A day of the desk's work to show, and every page of the dashboard that shows it."""
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await book(db, clock, clinic, clinic.other_doctor.id, 2)
    card = await PatientService(db, clock).register(
        PatientDraft("Anna", "Nowak", contacts={ContactKind.PHONE: "601 234 567"})
    )
    case = await EscalationService(db, clock).open(
        Channel.TELEGRAM,
        "4242",
        reason="asked",
        language="uk",
        patient_id=card.id,
        transcript=[("patient", "Чи можна прийти раніше?")],
    )
    await CallbackService(db, clock).request(
        "+48601234567",
        CallbackReason.AFTER_HOURS,
        call_sid="CA1",
        language="pl",
        branch_id=clinic.clinic.branch.id,
    )
    await TaskService(db, clock).create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"transcript": "Metformina 500"},
        phone="+48601234567",
        branch_id=clinic.clinic.branch.id,
    )
    await install_defaults(ReminderRules(db, clock))
    return [
        "/staff/today?day=2026-12-02",
        "/staff/inbox",
        f"/staff/inbox/{case.id}",
        "/staff/callbacks",
        "/staff/tasks",
        "/staff/bookings",
        f"/staff/bookings/{booking_id}",
        f"/staff/bookings/{booking_id}/move?day=2026-12-03",
        f"/staff/bookings/{booking_id}/move/confirm?doctor={clinic.clinic.internist.id}"
        "&start=2026-12-03T07%3A00%3A00%2B00%3A00",
        "/staff/trash",
        "/staff/waitlist",
        "/staff/no-shows",
        "/staff/schedules",
        "/staff/services",
        "/staff/reminders",
        "/staff/partners",
        f"/staff/grid?branch={clinic.clinic.branch.id}&day=2026-12-02",
        f"/staff/grid?branch={clinic.clinic.branch.id}&day=2026-12-02&view=week",
        "/staff/patients",
        f"/staff/patients/{card.id}",
        "/staff/recall",
        "/staff/bookings/999999",  # the error page
    ]


async def test_every_page_passes_axe_and_the_keyboard_at_both_widths(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    paths = await every_page(db, clock, clinic)
    await log_in(page, "admin", database_url)
    found: dict[str, Any] = {}
    for size, viewport in (("laptop", LAPTOP), ("tablet", TABLET)):
        await page.set_viewport_size(viewport)
        for path in paths:
            await page.goto(path)
            problems = {
                "axe": await serious_violations(page),
                "sideways": not await page.evaluate(
                    "document.documentElement.scrollWidth <= innerWidth"
                ),
            }
            if size == "laptop":
                problems["tab"] = await unreachable_by_tab(page)
            if any(problems.values()):
                found[f"{size} {path}"] = problems
        name = re.sub(r"\W+", "-", paths[0])
        await shot(page, f"20-{size}{name}", database_url)
    await page.goto("/staff/callbacks")
    await shot(page, "21-callbacks-tablet", database_url)
    # The login form too, signed out.
    await page.context.clear_cookies()
    for viewport in (LAPTOP, TABLET):
        await page.set_viewport_size(viewport)
        await page.goto("/staff/login")
        if violations := await serious_violations(page):
            found[f"login {viewport['width']}"] = violations
    assert found == {}


async def test_a_registrar_marks_a_no_show_and_finds_it_in_the_report(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await page.set_viewport_size(LAPTOP)
    await log_in(page, "reg", database_url)
    # The day before: the visit is listed but nobody can be marked arrived or missing yet.
    await page.goto("/staff/today?day=2026-12-02")
    row = page.get_by_role("row", name=re.compile("Ewa Testowa1"))
    await expect(row).to_contain_text("08:00")
    await expect(row.get_by_role("button", name=re.compile("Mark arrived"))).to_have_count(0)
    await expect(row.get_by_role("button", name=re.compile("Mark no-show"))).to_have_count(0)

    # Wednesday, 08:20: the patient has not come; the desk marks it from the keyboard.
    clock.set(WEDNESDAY_8 + timedelta(minutes=20))
    await page.goto("/staff/today?day=2026-12-02")
    missing = page.get_by_role("button", name="Mark no-show: Ewa Testowa1, 08:00")
    await missing.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("row", name=re.compile("Ewa Testowa1"))).to_contain_text(
        "No-show"
    )
    assert (await status(db, booking_id)).status is BookingStatus.NO_SHOW
    await shot(page, "22-no-show-marked", database_url)

    await page.get_by_role("link", name="No-shows").click()
    await page.get_by_label("From").fill("2026-12-01")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator(".lead")).to_contain_text("1 of 1 visits due")
    await expect(page.get_by_role("row", name=re.compile("Anna Kowalska"))).to_contain_text("100%")
    await shot(page, "23-no-show-report", database_url)
    await page.set_viewport_size(TABLET)
    await page.reload()
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await shot(page, "23-no-show-report-tablet", database_url)


async def test_a_callback_without_answer_comes_back_later(
    page: Page, db: Database, clock: FrozenClock, clinic: Desk, database_url: str
) -> None:
    card = await PatientService(db, clock).register(
        PatientDraft("Anna", "Nowak", contacts={ContactKind.PHONE: "601 234 567"})
    )
    await CallbackService(db, clock).request(
        "+48601234567",
        CallbackReason.AFTER_HOURS,
        call_sid="CA1",
        language="pl",
        branch_id=clinic.clinic.branch.id,
    )
    await page.set_viewport_size(TABLET)
    await log_in(page, "reg", database_url)
    await page.get_by_role("link", name="Callbacks").click()
    row = page.locator("tr", has_text="+48601234567")
    # The number is the card's, written another way: the card is named and linked.
    await expect(row.get_by_role("link", name="Anna Nowak")).to_have_attribute(
        "href", f"/staff/patients/{card.id}"
    )
    await expect(
        row.get_by_role("link", name="Book for this caller: +48601234567")
    ).to_have_attribute("href", re.compile(rf"/staff/grid\?.*patient={card.id}"))
    await row.get_by_role("button", name="Take: +48601234567").click()
    await expect(row).to_contain_text("Taken by Renata Rejestracja")
    await row.get_by_label("Outcome").select_option(label="No answer")
    await row.get_by_label("Note").fill("Rang 10 times")
    await shot(page, "24-callback-no-answer", database_url)
    await row.get_by_role("button", name="Mark done: +48601234567").click()

    # Back in the queue, untaken, with its attempt and when to call again.
    await expect(row).to_contain_text("Calls back unanswered: 1 · call again after 08:30")
    await expect(row.get_by_role("button", name="Take: +48601234567")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await shot(page, "25-callback-back-later", database_url)
    async with db.read() as session:
        [back] = (await session.execute(select(CallbackRequest))).scalars()
    assert (back.status, back.attempts, back.taken_by, back.note) == (
        CallbackStatus.OPEN,
        1,
        None,
        "Rang 10 times",
    )
    await page.set_viewport_size(LAPTOP)
    await page.reload()
    await shot(page, "25-callback-back-later-laptop", database_url)
