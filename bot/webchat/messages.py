"""The demo chat's JSON contract, validated and rendered in pure code.

In: `{"session": "<8-64 of [A-Za-z0-9_-]>", "text": "..."}` or
`{"session": ..., "payload": "..."}`, with an optional `"language"`
(the browser's `navigator.language`). Out: a list of
`{"text", "buttons": [[{"label", "payload"}]], "attachment": {"filename",
"mime", "base64"} | null}`. The page has no platform delivery id, so each
action gets a fresh uuid4: a browser never redelivers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from bot.chat import MAX_PAYLOAD_BYTES, MAX_TEXT_CHARS, Incoming, Reply
from core.vocab import Channel

SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")
CHAT_PREFIX = "web-"
MAX_CHAT_ID = 64  # the conversation's chat_id column


class InvalidMessage(ValueError):
    """The request cannot be a chat action; `field` names what is wrong (never its value)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ChatMessage:
    session: str
    text: str | None = None
    payload: str | None = None
    language: str | None = None


def parse_message(data: Any) -> ChatMessage:
    """A validated chat action, or `InvalidMessage`."""
    if not isinstance(data, dict):
        raise InvalidMessage("body", "expected a JSON object")
    session = data.get("session")
    if not isinstance(session, str) or not SESSION.fullmatch(session):
        raise InvalidMessage("session", "session must be 8-64 characters of A-Z a-z 0-9 _ -")
    text, payload = data.get("text"), data.get("payload")
    if (text is None) == (payload is None):
        raise InvalidMessage("text", "send either text or payload")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise InvalidMessage("text", "text must be a non-empty string")
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        raise InvalidMessage("text", f"text is longer than {MAX_TEXT_CHARS} characters")
    if payload is not None and (
        not isinstance(payload, str) or not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES
    ):
        raise InvalidMessage("payload", f"payload must be 1-{MAX_PAYLOAD_BYTES} bytes of text")
    language = data.get("language")
    if language is not None and (not isinstance(language, str) or not LANGUAGE.fullmatch(language)):
        raise InvalidMessage("language", "language must be a language tag such as pl-PL")
    return ChatMessage(session, text, payload, language or None)


def chat_id(session: str) -> str:
    """ "web-" + the session; a session too long for the column is hashed (no collisions)."""
    candidate = CHAT_PREFIX + session
    if len(candidate) <= MAX_CHAT_ID:
        return candidate
    digest = hashlib.blake2b(session.encode(), digest_size=(MAX_CHAT_ID - 4) // 2).hexdigest()
    return CHAT_PREFIX + digest


def to_incoming(message: ChatMessage) -> Incoming:
    return Incoming(
        channel=Channel.WEB,
        chat_id=chat_id(message.session),
        delivery_id=uuid.uuid4().hex,
        text=message.text,
        payload=message.payload,
        language_hint=message.language,
    )


def reply_json(reply: Reply) -> dict[str, Any]:
    """One reply as the page draws it; the page puts every string in via textContent."""
    attachment = reply.attachment
    return {
        "text": reply.text,
        "buttons": [
            [{"label": button.label, "payload": button.payload} for button in row]
            for row in reply.buttons
        ],
        "attachment": None
        if attachment is None
        else {
            "filename": attachment.filename,
            "mime": attachment.mime,
            "base64": base64.b64encode(attachment.content).decode("ascii"),
        },
    }
