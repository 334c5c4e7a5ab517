"""Days and times read naturally in each language (ivr/spoken.py), pure."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.i18n import Texts
from ivr.spoken import ordinal, spoken_slot


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
