"""My documents: each of the patient's documents as a signed link that opens after a
second check; sharing them with a family member or an outside doctor for a window,
seeing and revoking those consents; and the documents others shared with this chat's
phone. Messages name a document by its type and date only, never its file or content."""

from __future__ import annotations

from datetime import timedelta

from bot import actions
from bot.flows import menu
from bot.turn import Step, Turn, answer, ask
from core.documents.links import MintedLink
from core.errors import PhoneInvalid
from core.models import Document
from core.patients.identity import normalize_phone
from core.vocab import ContactKind, DocumentKind, GranteeKind, GrantSource

SHOWN = 8  # the newest documents offered as buttons
WINDOWS = (1, 7, 30, 90)  # days a consent may last, from now


def kind_name(turn: Turn, kind: DocumentKind) -> str:
    _ = turn._
    return {
        DocumentKind.LAB_RESULT: _("Laboratory result"),
        DocumentKind.DIAGNOSTIC_RESULT: _("Diagnostic test result"),
        DocumentKind.VISIT_SUMMARY: _("Visit summary"),
        DocumentKind.REFERRAL: _("Referral"),
        DocumentKind.DISCHARGE: _("Hospital discharge summary"),
        DocumentKind.PRESCRIPTION: _("Prescription"),
        DocumentKind.OTHER: _("Other document"),
    }[kind]


def _label(turn: Turn, document: Document) -> str:
    return f"📄 {kind_name(turn, document.kind)}, {turn.texts.day(document.issued_on)}"


async def start(turn: Turn) -> None:
    turn.go("documents", "list")
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    await ask(STEPS, turn, default="list")


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    return await answer(STEPS, turn, action, text, default="list")


async def _phones(turn: Turn) -> list[str]:
    """The numbers this chat speaks for: WhatsApp's sender, a shared contact, the card's."""
    found = [p for p in (turn.incoming.shared_phone,) if p]
    if turn.patient_id is not None:
        contacts = await turn.services.patients.contacts(turn.patient_id)
        found += [c.value for c in contacts if c.kind is ContactKind.PHONE]
    numbers = []
    for phone in found:
        try:
            numbers.append(normalize_phone(phone))
        except PhoneInvalid:
            continue
    return sorted(set(numbers))


async def _ask_list(turn: Turn) -> None:
    services = turn.services
    if services.documents is None or services.consents is None:
        turn.go(None)
        turn.say(turn._("Documents can be opened at the registration desk."), menu.menu_rows(turn))
        return
    rows = []
    if turn.patient_id is not None:
        own = (await services.documents.of_patient(turn.patient_id))[:SHOWN]
        rows += [[turn.button(_label(turn, d), actions.OPEN_DOCUMENT.pack(d.id))] for d in own]
        text = turn._("Your documents:") if own else turn._("You have no documents yet.")
        rows.append([turn.button(turn._("🤝 Share my documents"), actions.SHARE.pack())])
        rows.append([turn.button(turn._("📋 Who can see them"), actions.CONSENTS.pack())])
    else:
        text = turn._("I do not know your clinic card yet: book a visit or link your card.")
    rows.append([turn.button(turn._("📥 Shared with me"), actions.SHARED_WITH_ME.pack())])
    rows.append([turn.button(turn._("🏠 Menu"), actions.MENU.pack())])
    turn.say(text, rows)


async def _on_list(turn: Turn, action: str | None, _text: str | None) -> bool:
    services = turn.services
    if services.document_links is None:
        return False
    document = actions.OPEN_DOCUMENT.unpack(action)
    if document is not None and turn.patient_id is not None:
        link = await services.document_links.for_patient(
            turn.patient_id, document, turn.incoming.channel
        )
        await _send_link(turn, link)
        return True
    if actions.SHARE.pressed(action) and turn.patient_id is not None:
        turn.at("share_kind")
        await prompt(turn)
        return True
    if actions.CONSENTS.pressed(action) and turn.patient_id is not None:
        turn.at("consents")
        await prompt(turn)
        return True
    if actions.SHARED_WITH_ME.pressed(action):
        turn.at("shared")
        await prompt(turn)
        return True
    return False


async def _zone(turn: Turn) -> str:
    """The clinic's time zone (its first branch's), for the times a message names."""
    branches = await turn.services.catalog.branches()
    return branches[0].timezone if branches else "Europe/Warsaw"


async def _send_link(turn: Turn, link: MintedLink) -> None:
    base = turn.services.public_base_url
    if base is None:
        turn.say(turn._("Documents can be opened at the registration desk."), menu.menu_rows(turn))
        return
    turn.say(
        turn._(
            "Here is your secure link. It works once, until {time}, and asks you to confirm "
            "who you are first:",
            time=turn.texts.time(link.expires_at, await _zone(turn)),
        )
        + "\n"
        + link.url(base),
        [
            [
                turn.button(
                    turn._("📄 My documents"), actions.MENU_ITEM.pack(actions.MenuItem.DOCUMENTS)
                )
            ]
        ],
    )


# -- sharing ------------------------------------------------------------------------------


async def _ask_kind(turn: Turn) -> None:
    turn.say(
        turn._("Who should be able to see your documents?"),
        [
            [turn.button(turn._("👪 A family member"), actions.GRANTEE.pack(GranteeKind.FAMILY))],
            [
                turn.button(
                    turn._("🩺 A doctor outside the clinic"),
                    actions.GRANTEE.pack(GranteeKind.DOCTOR),
                )
            ],
            [turn.button(turn._("🏠 Menu"), actions.MENU.pack())],
        ],
    )


async def _on_kind(turn: Turn, action: str | None, _text: str | None) -> bool:
    kind = actions.GRANTEE.unpack(action)
    if kind not in tuple(GranteeKind):
        return await _on_list(turn, action, _text)
    turn.data["grantee"] = kind
    turn.at("share_phone")
    await prompt(turn)
    return True


async def _ask_phone(turn: Turn) -> None:
    turn.say(
        turn._(
            "Please type their mobile phone number. When they open a document, a code "
            "will be sent to it."
        ),
        [[turn.button(turn._("🏠 Menu"), actions.MENU.pack())]],
    )


async def _on_phone(turn: Turn, _action: str | None, text: str | None) -> bool:
    if not text:
        return False
    try:
        turn.data["phone"] = normalize_phone(text)
    except PhoneInvalid:
        turn.say(turn._("That does not look like a phone number. Please try again."))
        return True
    turn.at("share_days")
    await prompt(turn)
    return True


async def _ask_days(turn: Turn) -> None:
    labels = {
        1: turn._("For 1 day"),
        7: turn._("For 7 days"),
        30: turn._("For 30 days"),
        90: turn._("For 90 days"),
    }
    rows = [[turn.button(labels[days], actions.SHARE_DAYS.pack(days))] for days in WINDOWS]
    rows.append([turn.button(turn._("🏠 Menu"), actions.MENU.pack())])
    turn.say(turn._("For how long?"), rows)


async def _on_days(turn: Turn, action: str | None, _text: str | None) -> bool:
    days = actions.SHARE_DAYS.unpack(action)
    if days not in WINDOWS or turn.patient_id is None:
        return False
    consents = turn.services.consents
    assert consents is not None
    now = turn.services.clock.now()
    grant = await consents.grant(
        turn.patient_id,
        GranteeKind(turn.data["grantee"]),
        turn.data["phone"],
        now,
        now + timedelta(days=days),
        source=GrantSource.BOT,
    )
    turn.go(None)
    turn.say(
        turn._(
            "Done. The person with the number ending in {tail} can see your documents "
            "until {when}. You can revoke this at any time under “Who can see them”.",
            tail=grant.phone[-3:],
            when=turn.texts.when(grant.valid_until, await _zone(turn)),
        ),
        menu.menu_rows(turn),
    )
    return True


# -- my consents ----------------------------------------------------------------------------


async def _ask_consents(turn: Turn) -> None:
    consents = turn.services.consents
    assert consents is not None
    assert turn.patient_id is not None
    current = await consents.of_patient(turn.patient_id, current_only=True)
    rows = []
    lines = []
    for grant in current:
        who = (
            turn._("Family member")
            if grant.grantee_kind is GranteeKind.FAMILY
            else turn._("Doctor outside the clinic")
        )
        until = turn.texts.when(grant.valid_until, await _zone(turn))
        lines.append(f"• {who}, …{grant.phone[-3:]}: " + turn._("until {when}", when=until))
        rows.append(
            [
                turn.button(
                    turn._("✖️ Revoke …{tail}", tail=grant.phone[-3:]), actions.REVOKE.pack(grant.id)
                )
            ]
        )
    rows.append([turn.button(turn._("🏠 Menu"), actions.MENU.pack())])
    if not lines:
        turn.say(turn._("Nobody else can see your documents."), rows)
        return
    turn.say(turn._("They can see your documents:") + "\n" + "\n".join(lines), rows)


async def _on_consents(turn: Turn, action: str | None, _text: str | None) -> bool:
    grant = actions.REVOKE.unpack(action)
    if grant is None or turn.patient_id is None:
        return False
    consents = turn.services.consents
    assert consents is not None
    await consents.revoke(turn.patient_id, grant, by=f"patient:{turn.patient_id}")
    turn.say(turn._("Revoked: they can no longer open your documents."))
    await prompt(turn)
    return True


# -- shared with me ----------------------------------------------------------------------------


async def _ask_shared(turn: Turn) -> None:
    services = turn.services
    assert services.consents is not None
    assert services.documents is not None
    rows = []
    for grant in await services.consents.to_phones(await _phones(turn)):
        names = await services.patients.names([grant.patient_id])
        owner = names.get(grant.patient_id, "").split(" ")[0]
        for document in (await services.documents.of_patient(grant.patient_id))[:SHOWN]:
            assert document.id is not None
            assert grant.id is not None
            rows.append(
                [
                    turn.button(
                        f"{owner}: {_label(turn, document)}",
                        actions.SHARED_DOCUMENT.pack((grant.id, document.id)),
                    )
                ]
            )
    rows.append([turn.button(turn._("🏠 Menu"), actions.MENU.pack())])
    text = (
        turn._("Documents shared with you:")
        if len(rows) > 1
        else turn._("Nobody has shared documents with you.")
    )
    turn.say(text, rows)


async def _on_shared(turn: Turn, action: str | None, _text: str | None) -> bool:
    pair = actions.SHARED_DOCUMENT.unpack(action)
    if pair is None:
        return False
    grant, document = pair
    if grant not in {g.id for g in await turn.services.consents.to_phones(await _phones(turn))}:  # type: ignore[union-attr]
        turn.say(turn._("That consent is not in force any more."), menu.menu_rows(turn))
        turn.go(None)
        return True
    links = turn.services.document_links
    assert links is not None
    await _send_link(turn, await links.for_grantee(grant, document, turn.incoming.channel))
    return True


STEPS: dict[str, Step] = {
    "list": Step(_ask_list, _on_list),
    "share_kind": Step(_ask_kind, _on_kind),
    "share_phone": Step(_ask_phone, _on_phone),
    "share_days": Step(_ask_days, _on_days),
    "consents": Step(_ask_consents, _on_consents),
    "shared": Step(_ask_shared, _on_shared),
}
