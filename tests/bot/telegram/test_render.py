"""A `Reply` as Bot API calls (bot/telegram/render.py), pure: buttons, the contact keyboard,
attachments, long texts split; and the rendered calls accepted by the fake Bot API."""

from __future__ import annotations

from aiogram.methods import SendDocument, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.chat import Attachment, Button, Reply
from bot.telegram.outbox import Outbox, Sent
from bot.telegram.render import CONTACT_PROMPT, render, split_text
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import telegram_bot


def test_render_buttons_carry_their_payload_as_callback_data() -> None:
    reply = Reply(
        "Choose",
        (
            (Button("Mon 08:00", "slot:1"), Button("Mon 08:15", "slot:2")),
            (Button("Back", "m:back"),),
        ),
    )

    [method] = render(PATIENT_ID, reply)

    assert isinstance(method, SendMessage)
    assert method.chat_id == PATIENT_ID
    assert method.text == "Choose"
    assert method.parse_mode is None
    assert method.reply_markup == InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Mon 08:00", callback_data="slot:1"),
                InlineKeyboardButton(text="Mon 08:15", callback_data="slot:2"),
            ],
            [InlineKeyboardButton(text="Back", callback_data="m:back")],
        ]
    )


def test_render_asks_for_the_contact_with_a_contact_keyboard() -> None:
    [method] = render(PATIENT_ID, Reply("Share your phone", ask_contact="📱 Share"))

    assert isinstance(method, SendMessage)
    markup = method.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup)
    [[button]] = markup.keyboard
    assert button.request_contact is True
    assert button.text == "📱 Share"
    assert markup.one_time_keyboard is True
    assert markup.resize_keyboard is True


def test_render_contact_and_buttons_go_in_two_messages() -> None:
    reply = Reply("Share your phone or type it", ((Button("Cancel", "m:cancel"),),), "📱")

    first, second = render(PATIENT_ID, reply)

    assert isinstance(first, SendMessage)
    assert isinstance(second, SendMessage)
    assert first.text == reply.text
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert second.text == CONTACT_PROMPT
    assert isinstance(second.reply_markup, ReplyKeyboardMarkup)


def test_render_an_attachment_as_a_document() -> None:
    reply = Reply(
        "Your visit", attachment=Attachment("visit.ics", b"BEGIN:VCALENDAR", "text/calendar")
    )

    message, document = render(PATIENT_ID, reply)

    assert isinstance(message, SendMessage)
    assert message.text == "Your visit"
    assert isinstance(document, SendDocument)
    assert document.document.filename == "visit.ics"  # type: ignore[union-attr]
    assert document.document.data == b"BEGIN:VCALENDAR"  # type: ignore[union-attr]


def test_render_splits_long_texts_and_keeps_the_buttons_last() -> None:
    text = ("line 😀\n" * 1200).strip()
    reply = Reply(text, ((Button("OK", "ok"),),))

    parts = render(PATIENT_ID, reply)

    assert len(parts) > 1
    assert "".join(p.text for p in parts) == text  # type: ignore[attr-defined]
    assert all(len(p.text.encode("utf-16-le")) // 2 <= 4096 for p in parts)  # type: ignore[attr-defined]
    assert all(p.reply_markup is None for p in parts[:-1])  # type: ignore[attr-defined]
    assert parts[-1].reply_markup is not None  # type: ignore[attr-defined]
    assert split_text("short") == ["short"]


def test_render_never_sends_an_empty_text() -> None:
    assert render(PATIENT_ID, Reply("   ")) == []
    [method] = render(PATIENT_ID, Reply("", ((Button("OK", "ok"),),)))
    assert isinstance(method, SendMessage)
    assert method.text.strip()


async def test_rendered_replies_are_accepted_by_the_fake_telegram(fake: FakeTelegram) -> None:
    reply = Reply(
        "x" * 5000,
        ((Button("A" * 30, "p" * 64),),),
        ask_contact="📱",
        attachment=Attachment("a.txt", b"hello", "text/plain"),
    )
    async with telegram_bot(fake) as bot:
        sent = await Outbox(bot).deliver(render(PATIENT_ID, reply))

    assert sent is Sent.OK
    assert [c.method for c in fake.calls] == ["sendMessage"] * 3 + ["sendDocument"]
    assert fake.calls[-1].params["document"]["content"] == b"hello"
