"""Greeting, main menu, language choice, help and the clinic's information."""

from __future__ import annotations

from bot import actions
from bot.actions import MenuItem
from bot.chat import Button
from bot.turn import Turn
from core.clinic.catalog import Catalog
from core.clinic.names import local_name
from edge.i18n import LANGUAGE_NAMES, LANGUAGES, Texts

WEEKDAY_KEYS = range(7)


def _item(item: MenuItem) -> str:
    return actions.MENU_ITEM.pack(item)


def menu_rows(turn: Turn) -> list[list[Button]]:
    _ = turn._
    return [
        [Button(_("📅 Book a visit"), _item(MenuItem.BOOK))],
        [
            Button(_("🗂 My visits"), _item(MenuItem.VISITS)),
            Button(_("📄 My documents"), _item(MenuItem.DOCUMENTS)),
        ],
        [
            Button(_("🔗 Link my clinic card"), _item(MenuItem.LINK)),
            Button(_("ℹ️ Clinic info"), _item(MenuItem.INFO)),
        ],
        [
            Button(_("🧑‍💼 Talk to a person"), _item(MenuItem.HUMAN)),
            Button("🌐 Language", _item(MenuItem.LANGUAGE)),
        ],
    ]


def show(turn: Turn, *, greeting: bool = False) -> None:
    turn.go(None)
    text = turn._("Hello! I am the clinic's assistant.") + "\n" if greeting else ""
    turn.say(text + turn._("What would you like to do?"), menu_rows(turn))


def ask_language(turn: Turn) -> None:
    turn.say(
        "Proszę wybrać język · Оберіть мову · Выберите язык · Choose a language",
        [[Button(LANGUAGE_NAMES[code], actions.LANGUAGE.pack(code))] for code in LANGUAGES],
    )


def set_language(turn: Turn, code: str) -> None:
    if code in LANGUAGES:
        turn.state["lang"] = code
        turn.texts = Texts(code)


def help_text(turn: Turn) -> None:
    turn.say(
        turn._(
            "I can book, move and cancel visits, link your clinic card and put you "
            "through to the registration desk. Type “menu” at any time to start over."
        ),
        menu_rows(turn),
    )


async def info(turn: Turn, catalog: Catalog) -> None:
    texts = turn.texts
    name = await catalog.clinic_name()
    lines = [name] if name else []
    for branch in await catalog.branches():
        hours = []
        for day in WEEKDAY_KEYS:
            periods = branch.opening_hours.get(str(day))
            if periods:
                label = texts.weekday(day)
                hours.append(f"{label} " + ", ".join(f"{a}–{b}" for a, b in periods))
        lines.append(
            f"\n🏥 {local_name(branch, turn.texts.language)}\n📍 {branch.address}, "
            f"{branch.city}\n☎️ {branch.phone}\n" + "\n".join(hours)
        )
    turn.say("\n".join(lines) or turn._("No information yet."), menu_rows(turn))
