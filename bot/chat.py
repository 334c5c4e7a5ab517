"""The channel-neutral shape of a chat: what a patient sends and what the bot answers.

Channel adapters translate platform updates into `Incoming` and render each
`Reply`: inline keyboards on Telegram, numbered options on WhatsApp, HTML
buttons in the demo chat. Button payloads are at most 64 bytes (Telegram's
callback_data limit) and are opaque to the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.vocab import Channel

MAX_PAYLOAD_BYTES = 64
MAX_TEXT_CHARS = 4096  # a Telegram message; longer patient input is cut here


@dataclass(frozen=True)
class Button:
    label: str
    payload: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.payload.encode()) <= MAX_PAYLOAD_BYTES:
            raise ValueError("a button payload has 1 to 64 bytes")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str
    url: str | None = None  # the same file by a signed link, for channels that take only URLs


@dataclass(frozen=True)
class Reply:
    """One message to the patient; `buttons` are rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # The label of a button that shares the phone number (Telegram's contact button),
    # when the reply asks for it.
    ask_contact: str | None = None
    attachment: Attachment | None = None

    def payloads(self) -> list[str]:
        return [b.payload for row in self.buttons for b in row]


@dataclass(frozen=True)
class Incoming:
    """One thing the patient did: typed text, pressed a button, or shared a contact."""

    channel: Channel
    chat_id: str
    delivery_id: str  # the platform's id of this delivery (update_id, MessageSid): dedupe key
    text: str | None = None
    payload: str | None = None
    shared_phone: str | None = None  # a phone the platform vouches for (contact, WhatsApp From)
    language_hint: str | None = None  # e.g. Telegram's language_code
    extras: dict[str, str] = field(default_factory=dict)
