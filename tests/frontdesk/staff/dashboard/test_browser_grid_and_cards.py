"""The booking grid and the patients' cards in a real headless Chromium (Debian's, driven
by Playwright), at a laptop's 1366x768 and a tablet's 768x1024: a registrar books a walk-in
for a new patient from the grid (the steps are counted: at most 6), issues a linking code
that a Telegram patient redeems through the real webhook, and merges a flagged card into
the patient's own. Each page is checked by axe-core (no serious or critical violation)
and for sideways scrolling; screenshots go to test-artifacts/desk/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Locator, Page, expect
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, BookingChange, Contact, Patient
from core.patients.cards import PatientDraft, PatientService
from core.vocab import ContactKind
from testkit.accessibility import serious_violations
from testkit.fakes.telegram.server import FakeTelegram
from testkit.messengers import Client, TelegramChat
from testkit.staff_desk import PASSWORD, Desk

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "desk"
VIEWPORTS = {"laptop": (1366, 768), "tablet": (768, 1024)}
STEP_GOAL = 6  # a walk-in for a new patient, from the grid: clicks and fields typed


@pytest.fixture(params=sorted(VIEWPORTS))
async def desk_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    server: TestServer,
) -> AsyncIterator[tuple[Page, str]]:
    width, height = VIEWPORTS[request.param]
    context = await browser.new_context(
        base_url=str(server.make_url("")).rstrip("/"),
        locale="en-GB",
        viewport={"width": width, "height": height},
    )
    opened = await context.new_page()
    try:
        yield opened, request.param
    finally:
        await context.close()


class Steps:
    """What the registrar does, counted: a click, or one field typed."""

    def __init__(self) -> None:
        self.count = 0

    async def click(self, target: Locator) -> None:
        self.count += 1
        await target.click()

    async def type(self, target: Locator, text: str) -> None:
        self.count += 1
        await target.fill(text)


async def checked(page: Page, name: str, tag: str) -> None:
    """The page: no serious or critical axe-core violation, no sideways scroll, saved."""
    assert await serious_violations(page) == [], name
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth"), name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{tag}-{name}.png"), full_page=True)


async def test_a_walk_in_a_linking_code_and_a_merge(
    desk_page: tuple[Page, str],
    server: TestServer,
    aiohttp_client: AiohttpClient,
    telegram: FakeTelegram,
    db: Database,
    clock: FrozenClock,
    clinic: Desk,
    database_url: str,
) -> None:
    page, viewport = desk_page
    tag = f"{'sqlite' if database_url.startswith('sqlite') else 'postgres'}-{viewport}"
    flagged = await PatientService(db, clock).register(
        PatientDraft(
            first_name="Nieznany",
            last_name="Rozmówca",
            contacts={ContactKind.PHONE: "+48 601 234 999"},
            needs_verification=True,
        )
    )

    await page.goto("/staff/grid?day=2026-12-03")
    await page.get_by_label("Login").fill("reg")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Booking grid")
    await checked(page, "01-grid", tag)

    # The walk-in, counted from the grid: a free time, the new patient, book.
    steps = Steps()
    await steps.click(
        page.get_by_role("link", name=re.compile(r"^Free: 08:00, lek\. Anna Kowalska"))
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit")
    await checked(page, "02-book", tag)
    await steps.type(page.get_by_label("First name"), "Jan")
    await steps.type(page.get_by_label("Last name"), "Przechodni")
    await steps.type(page.get_by_label("Phone", exact=True), "601 234 567")
    book = page.get_by_role("button", name=re.compile("^Book: "))
    steps.count += 1  # pressed from the keyboard
    await book.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Jan Przechodni")
    assert steps.count <= STEP_GOAL, steps.count
    (ARTIFACTS / f"{tag}-walk-in-steps.txt").write_text(f"{steps.count}\n")
    async with db.read() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
        by = (
            await session.execute(
                select(col(BookingChange.actor)).where(col(BookingChange.booking_id) == booking.id)
            )
        ).scalar_one()
    assert booking.start_at.isoformat() == "2026-12-03T07:00:00+00:00"
    assert by == "reg"

    # The grid shows the visit where the free time was; the week counts it.
    await page.goto("/staff/grid?day=2026-12-03")
    await expect(page.get_by_role("link", name="Jan Przechodni", exact=True)).to_be_visible()
    await page.get_by_label("View").select_option("week")
    await page.get_by_role("button", name="Show").click()
    await expect(page.get_by_role("row", name=re.compile("Thursday"))).to_contain_text("1 visit")
    await checked(page, "01-week", tag)

    # The card, found by phone; a code shown once and redeemed in Telegram.
    await page.get_by_role("link", name="Patients", exact=True).click()
    await page.get_by_label("Name, phone, PESEL or date of birth").fill("601 234 567")
    await page.get_by_role("button", name="Search").click()
    await checked(page, "03-patients", tag)
    await page.get_by_role("link", name="Jan Przechodni", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Jan Przechodni")
    await checked(page, "04-card", tag)
    await page.get_by_role("button", name="Issue a linking code").click()
    shown = await page.locator(".code").inner_text()
    code = shown.replace(" ", "")
    assert re.fullmatch(r"\d{9}", code)
    await checked(page, "05-code", tag)
    webhook = cast(Client, await aiohttp_client(server))
    chat = TelegramChat(webhook, telegram, 700_202, "pl")
    await chat.send(f"/start {code}")
    assert any(
        "Your clinic card is linked" in m["text"] or "połączona" in m["text"] for m in chat.seen
    ), chat.seen
    await page.get_by_role("link", name="Back to the card").click()
    await expect(page.get_by_role("region", name="Linked chats")).to_contain_text("Telegram")

    # The flagged card merged into Jan's: the visit and his phones on one card.
    await page.get_by_role("link", name="Patients", exact=True).click()
    await page.get_by_role("link", name="Cards to verify").click()
    await page.get_by_role("link", name="Nieznany Rozmówca").click()
    await page.get_by_role("link", name="Merge into another card").first.click()
    await page.get_by_label("Name, phone, PESEL or date of birth").fill("Przechodni")
    await page.get_by_role("button", name="Search").click()
    await checked(page, "06-merge", tag)
    await page.get_by_role("link", name=re.compile("Choose: Jan Przechodni")).click()
    await page.get_by_role("button", name="Confirm the merge").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Jan Przechodni")
    await expect(page.get_by_role("region", name="Contacts")).to_contain_text("+48601234999")
    await checked(page, "07-merged", tag)
    async with db.read() as session:
        assert await session.get(Patient, flagged.id) is None
        phones = (
            await session.execute(
                select(col(Contact.value)).where(col(Contact.patient_id) == booking.patient_id)
            )
        ).scalars()
        assert "+48601234999" in set(phones)
