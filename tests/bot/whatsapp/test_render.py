"""Replies as WhatsApp texts (bot/whatsapp/render.py), pure: numbered options, turns as one
message, long texts split under Twilio's limit."""

from __future__ import annotations

from bot.chat import Attachment, Button, Reply
from bot.whatsapp.render import MAX_BODY_UNITS, render, render_turn, split, units


def test_buttons_are_numbered_across_rows_in_reading_order() -> None:
    reply = Reply(
        "Co chcesz zrobić?",
        (
            (Button("Umów wizytę", "m:book"), Button("Moje wizyty", "m:mine")),
            (Button("Rozmowa\nz recepcją", "m:human"),),
        ),
    )

    assert render(reply) == [
        "Co chcesz zrobić?\n\n1. Umów wizytę\n2. Moje wizyty\n3. Rozmowa z recepcją\n\n↩️ 1–3"
    ]


def test_a_turn_is_one_message_with_only_the_last_buttons_numbered() -> None:
    replies = [
        Reply("Zarezerwowano.", ((Button("Do kalendarza", "ics:7"),),)),
        Reply("Co dalej?", ((Button("Menu", "menu"), Button("Pomoc", "m:help")),)),
        Reply("Dziękujemy!"),
    ]

    assert render_turn(replies) == [
        # "Do kalendarza" is left out: the Dialog maps typed numbers to the last buttons only
        "Zarezerwowano.\n\nCo dalej?\n\n1. Menu\n2. Pomoc\n\n↩️ 1–2\n\nDziękujemy!"
    ]
    assert render_turn([Reply("Jedna opcja", ((Button("OK", "ok"),),))]) == [
        "Jedna opcja\n\n1. OK\n\n↩️ 1"
    ]
    assert render_turn([]) == []


def test_a_long_turn_is_split_between_its_replies() -> None:
    first, second = Reply("a" * 1000), Reply("b" * 1000, ((Button("OK", "ok"),),))

    assert render_turn([first, second]) == ["a" * 1000, "b" * 1000 + "\n\n1. OK\n\n↩️ 1"]


def test_a_reply_without_buttons_is_its_text() -> None:
    assert render(Reply("Do zobaczenia!")) == ["Do zobaczenia!"]


def test_contact_requests_and_attachments_add_nothing() -> None:
    reply = Reply(
        "Twoja wizyta",
        ask_contact="📱",
        attachment=Attachment("wizyta.ics", b"BEGIN:VCALENDAR", "text/calendar"),
    )

    assert render(reply) == ["Twoja wizyta"]


def test_an_attachment_with_a_link_is_sent_as_the_link() -> None:
    url = "https://clinic.example/calendar/7-1796200000-abc.ics"
    reply = Reply(
        "Twoja wizyta",
        attachment=Attachment("wizyta.ics", b"BEGIN:VCALENDAR", "text/calendar", url=url),
    )

    assert render(reply) == [f"Twoja wizyta\n\n{url}"]


def test_a_long_reply_is_split_under_twilios_limit_keeping_every_line() -> None:
    lines = [f"{n:03}. Dr Anna Nowak, wtorek 1 grudnia, 10:{n % 60:02}" for n in range(80)]
    buttons = tuple((Button(f"Termin {n}", f"s:{n}"),) for n in range(1, 10))
    bodies = render(Reply("\n".join(lines), buttons))

    assert len(bodies) > 1
    assert all(units(body) <= MAX_BODY_UNITS for body in bodies)
    joined = "\n".join(bodies)
    assert all(line in joined for line in lines)
    assert bodies[-1].endswith("9. Termin 9\n\n↩️ 1–9")


def test_an_overlong_line_is_cut_at_spaces_and_emoji_count_double() -> None:
    words = ["słowo👍"] * 600  # 8 UTF-16 units each, 4799 units with the spaces

    bodies = split(" ".join(words), limit=MAX_BODY_UNITS)

    assert all(units(body) <= MAX_BODY_UNITS for body in bodies)
    assert " ".join(bodies).split() == words


def test_a_line_without_spaces_is_cut_hard() -> None:
    bodies = split("x" * 3500, limit=MAX_BODY_UNITS)

    assert [len(b) for b in bodies] == [1600, 1600, 300]
