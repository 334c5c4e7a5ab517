"""The booking link's page in a real headless Chromium (Debian's, driven by Playwright) at
a phone's width: a patient opens the link from a text message, picks a visit and a time
and books with a tap; the used link then says so; a newcomer gives their names; a forged
link gets its polite page. On every page axe-core finds no serious or critical
violation, nothing scrolls sideways, and the form works from the keyboard. Screenshots
go to test-artifacts/booking-link/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, ViewportSize, expect
from pytest_aiohttp import AiohttpServer

from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import LinkOrigin
from frontdesk.app import create_app
from frontdesk.keys import SERVICES
from frontdesk.settings import load_settings
from testkit.accessibility import serious_violations
from testkit.browser import chromium
from testkit.factories import adult, small_clinic

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "booking-link"
PHONE = ViewportSize(width=390, height=844)
PUBLIC = "https://clinic.example"


@pytest.fixture
async def server(
    aiohttp_server: AiohttpServer, database_url: str, db: Database, clock: FrozenClock
) -> TestServer:
    await small_clinic(db, clock, days=7)
    settings = load_settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        secret_key="booking-link-browser-0123456789abcdef",
        run_worker_in_process=False,
    )
    return await aiohttp_server(create_app(settings, clock=clock))


@pytest.fixture
async def page(server: TestServer) -> AsyncIterator[Page]:
    async with chromium() as browser:
        context = await browser.new_context(
            base_url=str(server.make_url("")).rstrip("/"),
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="pl-PL",
        )
        yield await context.new_page()


async def _link(server: TestServer, **kwargs: Any) -> str:
    issued = await server.app[SERVICES].booking_links.issue(
        origin=LinkOrigin.CARD, created_by="anna", **kwargs
    )
    return issued.url.removeprefix(PUBLIC)


async def _check(page: Page, name: str, database_url: str) -> None:
    """axe-core's serious and critical findings, and no sideways scrolling; a screenshot."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)
    found = await serious_violations(page)
    assert found == [], (name, found)
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth"), name


async def test_a_patient_books_from_the_link_on_a_phone(
    page: Page, server: TestServer, db: Database, clock: FrozenClock, database_url: str
) -> None:
    patient = await adult(db, clock)
    path = await _link(server, patient_id=patient)
    await page.goto(path)
    await expect(page.get_by_role("heading", name="Umów wizytę")).to_be_visible()
    await _check(page, "01-services", database_url)
    await page.get_by_role("link", name="Konsultacja (15 min)").click()
    await expect(page.get_by_role("radio").first).to_be_checked()
    await _check(page, "02-times", database_url)
    second = page.get_by_role("radio").nth(1)
    await second.focus()
    await page.keyboard.press("Space")
    await expect(second).to_be_checked()
    await page.get_by_role("button", name="Rezerwuję ten termin").click()
    await expect(page.get_by_role("heading", name="Wizyta została zarezerwowana")).to_be_visible()
    await _check(page, "03-booked", database_url)
    (visit,) = await server.app[SERVICES].booking.upcoming(patient)
    assert visit.patient_id == patient

    await page.goto(path + "?lang=uk")
    await expect(
        page.get_by_role("heading", name="Цим посиланням не можна скористатися")
    ).to_be_visible()
    await _check(page, "04-used-uk", database_url)


async def test_a_newcomer_gives_names_and_a_forged_link_is_refused(
    page: Page, server: TestServer, db: Database, database_url: str
) -> None:
    consult = next(s for s in await server.app[SERVICES].catalog.services() if s.code == "CONS")
    path = await _link(server, phone="+48 600 100 200", service_ids=[consult.id], language="en")
    await page.goto(path)
    await _check(page, "05-newcomer-en", database_url)
    await page.get_by_role("button", name="Book this time").click()  # names left empty
    assert await page.get_by_label("First name").evaluate("e => !e.validity.valid")
    await page.get_by_label("First name").fill("Olena")
    await page.get_by_label("Last name").fill("Kovalenko")
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()

    await page.goto("/b/1-AAAAAAAAAAAAAAAAAAAAAAAAAAA?lang=ru")
    await expect(
        page.get_by_role("heading", name="Этой ссылкой нельзя воспользоваться")
    ).to_be_visible()
    await _check(page, "06-forged-ru", database_url)
