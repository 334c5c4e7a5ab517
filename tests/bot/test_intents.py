"""Free text at the menu read in four languages and both alphabets."""

from __future__ import annotations

import pytest

from bot.intents import Intent, intent_of


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Chcę się umówić na wizytę", Intent.BOOK),
        ("I would like to book an appointment", Intent.BOOK),
        ("хочу записатися", Intent.BOOK),
        ("хочу записаться к врачу", Intent.BOOK),
        ("moje wizyty", Intent.VISITS),
        ("my appointments", Intent.VISITS),
        ("мої візити", Intent.VISITS),
        ("мои визиты", Intent.VISITS),
        ("chcę odwołać wizytę", Intent.CANCEL),
        ("cancel my visit", Intent.CANCEL),
        ("скасувати візит", Intent.CANCEL),
        ("отменить запись", Intent.CANCEL),
        ("godziny otwarcia", Intent.HOURS),
        ("what are your opening hours", Intent.HOURS),
        ("години роботи", Intent.HOURS),
        ("часы работы", Intent.HOURS),
        ("rozmowa z człowiekiem", Intent.PERSON),
        ("talk to a person", Intent.PERSON),
        ("з людиною", Intent.PERSON),
        ("оператор", Intent.PERSON),
        ("Dzień dobry", Intent.HELLO),
        ("hello", Intent.HELLO),
        ("привіт", Intent.HELLO),
        ("Здравствуйте", Intent.HELLO),
    ],
)
def test_each_intent_in_each_language(text: str, intent: Intent) -> None:
    assert intent_of(text) is intent


@pytest.mark.parametrize("text", ["qwerty", "history", "123", "", "🙂", "lorem ipsum"])
def test_no_intent_is_made_up(text: str) -> None:
    assert intent_of(text) is None
