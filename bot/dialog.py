"""The dialog: one entry point for every channel, `Dialog.handle(Incoming) -> [Reply]`.

It dedupes platform redeliveries, loads the chat's saved state, resolves the
language and the linked card, answers commands that work anywhere (/start,
/help, "menu", "cancel"), tells stale buttons apart, routes the rest to the
journey in progress (`bot.flows`), turns domain errors into polite sentences,
and hands the chat to a person after two misunderstandings.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import replace
from datetime import datetime

from bot import actions
from bot.actions import MenuItem
from bot.chat import MAX_PAYLOAD_BYTES, MAX_TEXT_CHARS, Incoming, Reply
from bot.flows import booking, documents, human, link, menu, offers, register, visits, whom
from bot.intents import Intent, intent_of
from bot.turn import BotServices, Turn
from core.errors import ConcurrentUpdate, DomainError
from core.messaging.chats import Snapshot
from core.patients.identity import fold_name
from core.schedule.feed import parse_slot_link
from core.vocab import Channel
from edge.i18n import DEFAULT_LANGUAGE, Texts, pick_language
from edge.observe import mark_step
from edge.text import clean, clean_optional

log = logging.getLogger(__name__)

FLOWS = {"book": booking, "visits": visits, "link": link, "documents": documents}
MENU_ITEMS = {
    MenuItem.BOOK: booking.start,
    MenuItem.VISITS: visits.start,
    MenuItem.LINK: link.start,
    MenuItem.DOCUMENTS: documents.start,
}
MENU_WORDS = {"menu", "/menu", "меню", "start", "главное меню", "головне меню"}
CANCEL_WORDS = {"cancel", "/cancel", "anuluj", "stop", "скасувати", "отмена", "отменить"}
HELP_WORDS = {"/help", "help", "pomoc", "допомога", "помощь"}
MISSES_BEFORE_A_PERSON = 2
MAX_PHONE_CHARS = 64


class Dialog:
    def __init__(self, services: BotServices) -> None:
        self.services = services
        # one lock per chat being answered, gone once no turn holds it
        self._locks: weakref.WeakValueDictionary[tuple[Channel, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one patient action; a redelivered action gets none.

        The turns of one chat are taken one at a time (a double tap arrives as two
        deliveries at once): in this process on a lock, across processes on the chat's
        turn row in the database; the second turn then sees the first one's state. The
        saved state's version still guards the save, and a turn whose state is dropped
        sends nothing."""
        incoming = _guarded(incoming)
        store = self.services.conversations
        key = (incoming.channel, incoming.chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        overlapping = lock.locked()  # another turn of this chat is being answered here
        async with (
            lock,
            store.turn(incoming.channel, incoming.chat_id, incoming.delivery_id) as opened,
        ):
            snapshot, waited = opened
            overlapping = overlapping or waited  # ... or in another process
            if snapshot is None:
                return []
            try:
                return await self._answer(incoming, snapshot, overlapping)
            except Exception:
                # Let the platform's retry be handled as new, rather than lost.
                await store.forget_delivery(incoming.channel, incoming.delivery_id)
                raise

    async def _answer(
        self, incoming: Incoming, snapshot: Snapshot, overlapping: bool
    ) -> list[Reply]:
        services = self.services
        state = snapshot.state
        mark_step(state.get("flow"), state.get("step"))  # the latency's label, not content
        language = state.get("lang") or pick_language(incoming.language_hint)
        if language and "lang" not in state:
            state["lang"] = language
        turn = Turn(
            services,
            incoming,
            state,
            Texts(language or DEFAULT_LANGUAGE),
            patient_id=snapshot.patient_id,
        )
        text = (incoming.text or "").strip()[:MAX_TEXT_CHARS] or None
        if _sent_twice(turn, text, overlapping):
            return []
        if text:
            turn.note("patient", text)
        try:
            await self._route(turn, text, language is None)
        except DomainError as exc:
            await _leave_flow(turn)
            _explain(turn, exc)
        for reply in turn.replies:
            turn.note("bot", reply.text)
        _remember_buttons(turn)
        try:
            await services.conversations.save(snapshot)
        except ConcurrentUpdate:
            log.warning("conversation changed by a parallel delivery; this turn is dropped")
            return []
        return turn.replies

    async def _route(self, turn: Turn, text: str | None, no_language: bool) -> None:
        payload = turn.incoming.payload or _numbered(turn.state, text)
        bound, action = actions.split(payload)
        word = fold_name(text) if text else ""

        language = actions.LANGUAGE.unpack(action)
        if language is not None:
            menu.set_language(turn, language)
            menu.show(turn, greeting=True)
            return
        if no_language:
            menu.ask_language(turn)
            return
        if text and text.startswith("/start"):
            code = text[6:].strip()
            slot_link = parse_slot_link(code)
            if slot_link is not None:
                await booking.start_at(turn, *slot_link)
            elif sum(ch.isdigit() for ch in code) == 9:
                await link.redeem(turn, code)
            else:
                menu.show(turn, greeting=True)
            return
        if word in HELP_WORDS:
            menu.help_text(turn)
            return
        if word in MENU_WORDS or word in CANCEL_WORDS or actions.MENU.pressed(action):
            await _leave_flow(turn)
            menu.show(turn)
            return
        if action and bound is None:
            await self._global(turn, action)
            return
        if action and bound != turn.state.get("valid_turn"):
            turn.say(turn._("That button belongs to an earlier message. Here is where we are now:"))
            await _resume(turn)
            return
        if text and turn.state.get("flow") is None and link.looks_like_code(text):
            await link.redeem(turn, text)
            return
        escalated = turn.state.get("escalation") and turn.state.get("flow") is None
        if escalated and text and not action and await human.forward(turn, text):
            return
        flow = FLOWS.get(turn.state.get("flow") or "")
        if flow is not None and await flow.handle(turn, action, text):
            turn.state["misses"] = 0
            return
        if action:  # a current button no flow claims: "add to calendar" after a booking
            await self._global(turn, action)
            return
        if not text:  # a photo, a sticker, someone's contact card: not a misunderstanding
            turn.say(turn._("I can read only text messages and buttons."))
            await _resume(turn)
            return
        if await self._free_text(turn, text):
            turn.state["misses"] = 0
            return
        await _not_understood(turn)

    async def _free_text(self, turn: Turn, text: str) -> bool:
        """Words no step expected, read for what the patient wants before a hand-over: a
        service or doctor named at the menu starts a booking there; book, my visits,
        cancel, hours or a person, in any of the four languages, goes there."""
        intent = intent_of(text)
        in_menu = turn.state.get("flow") is None
        if in_menu and intent in (None, Intent.BOOK) and await booking.start_with_text(turn, text):
            return True
        if intent is None:
            return False
        if intent is Intent.HELLO:
            if in_menu:
                menu.show(turn, greeting=True)
            else:
                turn.say(turn._("Hello! Here is where we are:"))
                await _resume(turn)
            return True
        await _leave_flow(turn)
        if intent is Intent.PERSON:
            await human.escalate(turn, "asked")
        elif intent is Intent.CANCEL:
            turn.say(turn._("To cancel, press ✖️ under the visit:"))
            await visits.start(turn)
        elif intent is Intent.VISITS:
            await visits.start(turn)
        elif intent is Intent.HOURS:
            await menu.info(turn, self.services.catalog)
        else:
            await booking.start(turn)
        return True

    async def _global(self, turn: Turn, action: str) -> None:
        """Buttons that work whenever pressed: the menu, calendar files, waiting-list offers."""
        item = actions.MENU_ITEM.unpack(action)
        if item is not None and item in MENU_ITEMS:
            await _leave_flow(turn)
            await MENU_ITEMS[item](turn)
        elif item is MenuItem.INFO:
            await _leave_flow(turn)
            await menu.info(turn, self.services.catalog)
        elif item is MenuItem.HUMAN:
            await _leave_flow(turn)
            await human.escalate(turn, "asked")
        elif item is MenuItem.LANGUAGE:
            menu.ask_language(turn)
        elif (visit := actions.WILL_COME.unpack(action)) is not None:
            await visits.confirm(turn, visit)
        elif actions.MOVE.unpack(action) is not None or actions.CANCEL.unpack(action) is not None:
            await _leave_flow(turn)
            await visits.from_notice(turn, action)
        elif (visit := actions.CALENDAR.unpack(action)) is not None:
            await visits.calendar_file(turn, visit)
        elif (offer := actions.TAKE_OFFER.unpack(action)) is not None:
            await offers.answer(turn, offer, accept=True)
        elif (offer := actions.DECLINE_OFFER.unpack(action)) is not None:
            await offers.answer(turn, offer, accept=False)
        else:
            await _not_understood(turn)


def _guarded(incoming: Incoming) -> Incoming:
    """What the patient sent, through the edge's one text guard before anything is stored,
    logged or forwarded to the desk (whichever channel it came by)."""
    return replace(
        incoming,
        text=clean_optional(incoming.text, MAX_TEXT_CHARS),
        payload=clean_optional(incoming.payload, MAX_PAYLOAD_BYTES),
        shared_phone=clean_optional(incoming.shared_phone, MAX_PHONE_CHARS),
        extras={key: clean(value, MAX_PHONE_CHARS) for key, value in incoming.extras.items()},
    )


def _sent_twice(turn: Turn, text: str | None, overlapping: bool) -> bool:
    """The same text or button as the last turn, sent while that turn was still being
    answered: a double tap or a double send, answered once. (Sent again after the answer,
    it is meant.) Otherwise the action is remembered for the next turn."""
    action = [text, turn.incoming.payload]
    if overlapping and turn.state.get("last") == action:
        return True
    turn.state["last"] = action
    return False


def _numbered(state: dict[str, object], text: str | None) -> str | None:
    """A typed "2" presses the second button of the last message (how WhatsApp answers)."""
    buttons = state.get("buttons")
    if (
        text
        and text.isascii()
        and text.isdigit()
        and isinstance(buttons, list)
        and 1 <= int(text) <= len(buttons)
    ):
        return str(buttons[int(text) - 1])
    return None


def _remember_buttons(turn: Turn) -> None:
    """Buttons of this turn stay valid until the next turn; every older one is stale.

    Typed numbers refer to the buttons of the last message that has any.
    """
    with_buttons = [reply for reply in turn.replies if reply.buttons]
    payloads = with_buttons[-1].payloads() if with_buttons else []
    current = turn.state.get("turn", 0)
    turn.state["valid_turn"] = current
    turn.state["turn"] = (current + 1) % actions.TURNS
    turn.state["buttons"] = payloads


async def _leave_flow(turn: Turn) -> None:
    """Out of the journey: its held time freed, and a new patient's unconfirmed answers
    (name, date of birth, phone; a child's name and date of birth) dropped, from the
    transcript too."""
    if turn.state.get("flow") == "book" and "hold" in turn.data:
        await turn.services.booking.release(turn.data["hold"])
    if any(key in turn.data for key in (*register.PERSONAL, *whom.NEW_DEPENDENT)):
        turn.state["transcript"] = []
    turn.go(None)


async def _resume(turn: Turn) -> None:
    flow = FLOWS.get(turn.state.get("flow") or "")
    if flow is None:
        menu.show(turn)
    else:
        await flow.prompt(turn)


async def _not_understood(turn: Turn) -> None:
    misses = turn.state.get("misses", 0) + 1
    turn.state["misses"] = misses
    if misses >= MISSES_BEFORE_A_PERSON and not turn.state.get("escalation"):
        turn.state["misses"] = 0
        await human.escalate(turn, "not_understood")
        return
    turn.say(turn._("Sorry, I did not understand. Please choose one of the options."))
    await _resume(turn)


def _explain(turn: Turn, error: DomainError) -> None:
    """A domain error as a sentence for the patient, with the menu to go on."""
    _ = turn._
    reason = error.details.get("reason")
    messages = {
        "slot_taken": _("Sorry, someone has just taken that time."),
        "not_found": _("I cannot find that. It may belong to another card or be gone."),
        "outside_availability": _("That time cannot be booked here any more."),
        "invalid_transition": _("That visit cannot be changed any more."),
        "throttled": _("Too many attempts. Please try again in a quarter of an hour."),
        "hold_expired": _("The time I kept for you has run out. Please choose again."),
        "already_booked": _("You already have a visit of this service: one at a time."),
        "e_referral_invalid": _("That e-referral is not valid."),
        "forbidden": _("That consent is not in force any more."),
    }
    if error.code == "restriction_violated":
        text = {
            "age": _(
                "This service is for patients aged {low} to {high}.",
                low=error.details.get("min_age") or 0,
                high=error.details.get("max_age") or "∞",
            ),
            "sex": _("This service is not available for your sex."),
            "referral": _("This service needs a referral: please contact the registration desk."),
            "e_referral": _("This service needs an e-referral (e-skierowanie)."),
            "birth_date_needed": _("This service depends on age: your date of birth is needed."),
        }.get(str(reason), _("This service is not available for you."))
    elif error.code == "not_eligible":
        text = {
            "pesel_required": _(
                "This service is paid by LUX MED: your PESEL number is needed to book it."
            ),
            "unverified": _(
                "LUX MED could not confirm your coverage just now. Please try again later."
            ),
        }.get(str(reason), _("Your LUX MED plan does not cover this service."))
    elif error.code == "already_booked" and "start_at" in error.details:
        when = turn.texts.when(
            datetime.fromisoformat(str(error.details["start_at"])),
            str(error.details.get("timezone") or "Europe/Warsaw"),
        )
        text = _(
            "You already have a visit of this service on {when}: one at a time. "
            "You can move that one in My visits.",
            when=when,
        )
    else:
        text = messages.get(
            error.code, _("Something went wrong. Please try again or talk to a person.")
        )
    turn.go(None)
    turn.say(text, menu.menu_rows(turn))
