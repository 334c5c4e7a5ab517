"""The FHIR face's own reading, without a server: ids given out and read back, search
periods, instants and the Patient a partner sends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import InvalidInput
from core.vocab import Sex
from frontdesk.fhir.ids import Booked, Held, Proposed, appointment_id
from frontdesk.fhir.read import PESEL_SYSTEM, Parameters, Window, arrival, instant

AT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "given", [Proposed(3, 7, 1, AT), Held("a_b-c_dEF0123456789xyzQ"), Booked(42)]
)
def test_every_appointment_id_given_out_reads_back(given):
    assert appointment_id(given.id) == given


@pytest.mark.parametrize(
    "text", ["0", "1234567890", "p-1-7-1-202613020800", "p-x-7-1-202612020800", "hold-", "x"]
)
def test_an_id_never_given_out_reads_as_nothing(text):
    assert appointment_id(text) is None


def test_instants_need_a_zone_and_a_date_is_a_utc_day():
    assert instant("2026-12-02T09:00:00+01:00", "start") == AT
    assert instant("2026-12-02T08:00:00Z", "start") == AT
    assert instant("2026-12-02", "end", end_of_day=True) == datetime(2026, 12, 3, tzinfo=UTC)
    for bad in ("2026-12-02T09:00:00", "tomorrow", "2026-02-30"):
        with pytest.raises(InvalidInput):
            instant(bad, "start")


def test_a_search_period_from_its_prefixes():
    day = Window.of(["2026-12-02"])
    assert (day.low, day.high) == (
        datetime(2026, 12, 2, tzinfo=UTC),
        datetime(2026, 12, 3, tzinfo=UTC),
    )
    assert Window.of(["ge2026-12-02T08:00:00Z", "lt2026-12-04"]).high == datetime(
        2026, 12, 4, tzinfo=UTC
    )
    with pytest.raises(InvalidInput):
        Window.of(["ge2026-12-04", "le2026-12-02"])


def test_the_patient_a_partner_sends():
    sent = {
        "resourceType": "Patient",
        "name": [{"family": " Zielińska ", "given": ["Maria", "Anna"]}],
        "gender": "female",
        "birthDate": "1980-05-01",
        "identifier": [
            {"system": "other", "value": "x"},
            {"system": PESEL_SYSTEM, "value": "80050101203"},
        ],
        "telecom": [
            {"system": "email", "value": "m@example.pl"},
            {"system": "phone", "value": "+48600100200"},
        ],
    }
    got = arrival(sent)
    assert (got.first_name, got.last_name, got.sex) == ("Maria", "Zielińska", Sex.FEMALE)
    assert (got.birth_date, got.pesel) == (date(1980, 5, 1), "80050101203")
    assert (got.email, got.phone) == ("m@example.pl", "+48600100200")
    for broken in (
        {"name": "Maria"},
        {"name": [{"family": "Z"}]},
        {**sent, "birthDate": "01.05.1980"},
    ):
        with pytest.raises(InvalidInput):
            arrival(broken)


def test_parameters_are_read_by_name_and_refused_twice():
    params = Parameters.of(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueDateTime": "2026-12-02"},
                {"name": "practitioner", "valueReference": {"reference": "Practitioner/7"}},
                {"name": "service-type", "valueCoding": {"code": "CONS"}},
                {"name": "end", "valueDate": "2026-12-03"},
                {"name": "end", "valueDate": "2026-12-04"},
            ],
        }
    )
    texts = params.texts()
    assert texts["practitioner"] == ["Practitioner/7"]
    assert texts["service-type"] == ["CONS"]
    with pytest.raises(InvalidInput):
        params.text("end")
    with pytest.raises(InvalidInput):
        Parameters.of({"parameter": [{"name": "start", "valueBoolean": True}]}).texts()
