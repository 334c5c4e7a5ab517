"""Reading an uploaded recall list (core/desk/recall_lists.py) as hostile input: the
usual exports read (UTF-8 with a BOM, Windows-1250, semicolons, a header), bad rows
rejected by number, and files that cannot be read refused with a clear reason."""

from __future__ import annotations

import pytest

from core.desk.recall_lists import MAX_BYTES, MAX_ROWS, ListedPerson, read_recall_list
from core.errors import InvalidInput


def test_a_spreadsheet_export_with_a_header_and_semicolons_is_read():
    data = "Imię i nazwisko;Telefon\nŻaneta Łęcka;501 000 001\nJan Nowak;+48 501 000 002\n"
    found = read_recall_list(data.encode("cp1250"))
    assert found.people == [
        ListedPerson("+48501000001", "Żaneta Łęcka"),
        ListedPerson("+48501000002", "Jan Nowak"),
    ]
    assert found.rejected == []
    assert read_recall_list(b"\xef\xbb\xbf" + data.encode()).people == found.people


def test_bad_numbers_are_rejected_by_row_and_repeats_counted_once():
    data = b"501000001,Ewa\n12345,Adam\n,\n501000001,Ewa again\nnot a phone,Ola\n"
    found = read_recall_list(data)
    assert [p.phone for p in found.people] == ["+48501000001"]
    assert found.rejected == [(2, "no valid phone number"), (5, "no valid phone number")]
    assert found.duplicates == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x" * (MAX_BYTES + 1), "larger than"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text"),
        (b"", "empty"),
        (b"   \n\n", "empty"),
        ("".join(f"5010{n:05d}\n" for n in range(MAX_ROWS + 2)).encode(), "more than"),
        (b'"501000001,"Ewa\n"unclosed', "not a readable CSV"),
        ("телефон\n\n".encode(), "lists nobody"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_reason(data, reason):
    with pytest.raises(InvalidInput) as refused:
        read_recall_list(data)
    assert reason in refused.value.message
    assert refused.value.details["field"] == "file"


def test_an_overlong_cell_rejects_its_row():
    found = read_recall_list(b"501000001," + b"a" * 300 + b"\n501000002,Ola\n")
    assert found.rejected == [(1, "a cell is too long")]
    assert [p.name for p in found.people] == ["Ola"]
