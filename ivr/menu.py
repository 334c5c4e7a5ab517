"""The main menu: book, my visits, prescription, opening hours and address, the desk, and
the language switches (each said in its own voice)."""

from __future__ import annotations

from core.vocab import CallOutcome
from edge.i18n import LANGUAGE_NAMES, LANGUAGES, Texts
from ivr import spoken
from ivr.call_to_text import TEXT_KEY, can_text, text_goodbye, text_link
from ivr.desk import desk
from ivr.identify import identify
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, words
from ivr.twiml import Option, Prompt

LANGUAGE_KEYS = {"pl": "6", "uk": "7", "ru": "8", "en": "9"}


async def _ask_menu(turn: Turn) -> None:
    t = turn.texts
    options = [
        Option("1", t._("To book a visit"), "book", words(t._("book, appointment, new visit"))),
        Option(
            "2",
            t._("To hear, move or cancel your visits"),
            "visits",
            words(t._("my visits, move, cancel, change")),
        ),
        Option(
            "3",
            t._("To ask for a prescription renewal"),
            "rx",
            words(t._("prescription, medicine, renewal")),
        ),
        Option(
            "4",
            t._("For our opening hours and address"),
            "info",
            words(t._("opening hours, address, when are you open")),
        ),
    ]
    if can_text(turn):
        options.append(
            Option(
                TEXT_KEY,
                t._("To get a link to book a visit by text message"),
                "text",
                words(t._("text message, link, SMS")),
            )
        )
    options += [
        Option(
            "0",
            t._("To talk to the registration desk"),
            "desk",
            words(t._("registration, desk, person, operator")),
        ),
    ]
    for language in LANGUAGES:
        if language != t.language:
            other = Texts(language)
            key = LANGUAGE_KEYS[language]
            options.append(
                Option(
                    key,
                    other._(
                        "In {language}, press {key}.", language=LANGUAGE_NAMES[language], key=key
                    ),
                    f"lang:{language}",
                    (LANGUAGE_NAMES[language],),
                    language=language,
                )
            )
    turn.prompt = Prompt(
        t._("How can I help you? You can say it or press a key."),
        options,
        simple=t._("Main menu."),
    )


async def _answer_menu(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    t = turn.texts
    if action in ("book", "visits", "rx"):
        await identify(turn, action)
    elif action == "info":
        now = turn.services.clock.now()
        turn.say(spoken.week_hours(t, turn.branch, now) + " " + spoken.address(t, turn.branch))
        turn.call.outcome = turn.call.outcome or CallOutcome.INFORMED
        await go(turn, "menu")
    elif action == "desk":
        await desk(turn)
    elif action == "text" and await text_link(turn):
        text_goodbye(turn)
    elif action and action.startswith("lang:"):
        turn.call.language = action[5:]
        turn.texts = Texts(turn.call.language)
        await go(turn, "menu")
    else:
        return False
    return True


STEPS = {
    "menu": Step(_ask_menu, _answer_menu),
}
