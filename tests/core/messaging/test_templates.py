"""Message templates (core/messaging/templates.py), pure: unknown parameters and broken
templates refused, dates in the patient's language and the branch's zone, Polish as the
fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import TemplateInvalid
from core.messaging.templates import check, date_and_time, render


def test_a_template_with_an_unknown_parameter_is_refused_when_saved():
    with pytest.raises(TemplateInvalid) as refused:
        check({"pl": "Dzień dobry {{ first_name }}, PESEL {{ pesel }} {{ diagnosis }}"})
    assert refused.value.details["unknown"] == ["diagnosis", "pesel"]


@pytest.mark.parametrize(
    "templates",
    [{"pl": "{{ date "}, {"xx": "{{ date }}"}, {"pl": "   "}, {}, {"pl": "{{ x.__class__ }}"}],
)
def test_broken_templates_are_refused(templates):
    with pytest.raises(TemplateInvalid):
        check(templates)


@pytest.mark.parametrize(
    ("language", "date", "hour"),
    [
        ("pl", "środa, 2 grudnia 2026", "08:00"),
        ("uk", "середа, 2 грудня 2026", "08:00"),
        ("ru", "среда, 2 декабря 2026", "08:00"),
        ("en", "Wednesday, 2 December 2026", "08:00"),
    ],
)
def test_dates_are_in_the_patients_language_and_the_branchs_zone(language, date, hour):
    at = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    params = date_and_time(at, "Europe/Warsaw", language)
    assert params["date"].startswith(date)
    assert params["time"] == hour


def test_render_falls_back_to_polish_and_fills_what_it_has():
    templates = check({"pl": "Wizyta {{ date }} {{ doctor }}"})
    assert render(templates, "en", {"date": "jutro"}) == "Wizyta jutro "
