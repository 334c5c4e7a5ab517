"""The page a booking link opens (`/b/<token>`): the link's services and next free times,
a booking made with one tap, a newcomer's names, a time taken meanwhile answered with the
next free times, and forged, expired and used links refused politely, in the link's
language; no patient data on any of its pages, and no token leaving in a Referer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.vocab import Channel, LinkOrigin
from edge.errors import loggable_path
from frontdesk import keys
from frontdesk.app import create_app
from frontdesk.settings import Settings
from testkit.factories import adult, small_clinic

BASE = "https://clinic.example"
_SLOT = re.compile(r'name="slot" id="slot\d+" value="([^"]+)"')


@pytest.fixture
async def http(aiohttp_client, db, database_url, clock):
    await small_clinic(db, clock, days=7)
    settings = Settings(database_url=database_url, public_base_url=BASE)
    return await aiohttp_client(create_app(settings, clock=clock))


async def _link(http, **kwargs):
    links = http.app[keys.SERVICES].booking_links
    issued = await links.issue(origin=LinkOrigin.CARD, created_by="anna", **kwargs)
    assert issued.url.startswith(BASE + "/b/")
    return issued.url.removeprefix(BASE)


async def _consult(http):
    return next(s for s in await http.app[keys.SERVICES].catalog.services() if s.code == "CONS")


async def test_a_patient_books_with_one_tap_and_the_link_then_says_it_was_used(http, db, clock):
    patient = await adult(db, clock)
    consult = await _consult(http)
    path = await _link(http, patient_id=patient, service_ids=[consult.id])
    page = await http.get(path)
    assert page.status == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    html = await page.text()
    assert 'lang="pl"' in html
    assert "Testowa" not in html  # the patient's name is never shown
    slots = _SLOT.findall(html)
    assert len(slots) == 8
    booked = await http.post(path, data={"service": str(consult.id), "slot": slots[0]})
    assert booked.status == 200
    text = await booked.text()
    assert "Wizyta została zarezerwowana" in text
    (visit,) = await http.app[keys.SERVICES].booking.upcoming(patient)
    assert visit.source is Channel.WEB
    again = await http.get(path + "?lang=en")
    assert again.status == 410
    assert "already been used" in await again.text()
    twice = await http.post(path, data={"service": str(consult.id), "slot": slots[1]})
    assert twice.status == 410


async def test_a_time_taken_meanwhile_shows_the_next_free_times(http, db, clock):
    patient, other = await adult(db, clock, 1), await adult(db, clock, 2)
    consult = await _consult(http)
    path = await _link(http, patient_id=patient, service_ids=[consult.id], language="en")
    slots = _SLOT.findall(await (await http.get(path)).text())
    doctor, start = slots[0].split("|")
    services = http.app[keys.SERVICES]
    await services.booking.book(
        Actor.staff("desk"),
        VisitRequest(other, consult.id, int(doctor), datetime.fromisoformat(start)),
    )
    answer = await http.post(path, data={"service": str(consult.id), "slot": slots[0]})
    assert answer.status == 409
    html = await answer.text()
    assert "that time was taken" in html
    assert slots[0] not in _SLOT.findall(html)
    assert _SLOT.findall(html)[0] == slots[1]


async def test_a_phone_without_a_card_gives_names_to_book(http):
    consult = await _consult(http)
    path = await _link(http, phone="+48 600 100 200", language="uk")
    html = await (await http.get(f"{path}?service={consult.id}")).text()
    assert 'lang="uk"' in html
    assert 'name="first_name"' in html
    slot = _SLOT.findall(html)[0]
    nameless = await http.post(path, data={"service": str(consult.id), "slot": slot})
    assert nameless.status == 400
    booked = await http.post(
        path,
        data={"service": str(consult.id), "slot": slot, "first_name": "Olena", "last_name": "K"},
    )
    assert booked.status == 200


@pytest.mark.parametrize(
    "path", ["/b/1-AAAAAAAAAAAAAAAAAAAAAAAAAAA", "/b/garbage", "/b/99999999999999-x"]
)
async def test_a_forged_link_is_refused_politely(http, path):
    page = await http.get(path + "?lang=en")
    assert page.status == 404
    assert page.content_type == "text/html"
    assert "we do not recognise this link" in await page.text()
    post = await http.post(path, data={"slot": "x"})
    assert post.status == 404


async def test_an_expired_link_is_refused_politely(http, db, clock):
    patient = await adult(db, clock)
    path = await _link(http, patient_id=patient, ttl=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    page = await http.get(path)
    assert page.status == 410
    assert "wygasł" in await page.text()


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"service": "1", "slot": "nonsense"},
        {"service": "x" * 5000, "slot": "1|2026-13-45T99:00"},
        {"service": "1", "slot": "1|2026-12-02T08:00"},  # no zone
    ],
)
async def test_garbage_in_the_form_asks_again(http, db, clock, form):
    patient = await adult(db, clock)
    path = await _link(http, patient_id=patient)
    answer = await http.post(path, data=form)
    assert answer.status == 400


def test_the_access_log_never_shows_a_token():
    assert loggable_path("/b/12-abcdefghijklmnopqrstuvwxyz0") == "/b/…"
    assert loggable_path("/staff/today") == "/staff/today"
    assert loggable_path("/documents/open/7.abc.def") == "/documents/open/…"
    assert loggable_path("/fhir/Appointment/hold-abc.DEF-1") == "/fhir/Appointment/hold-…"
    assert loggable_path("/fhir/Appointment/42") == "/fhir/Appointment/42"
