"""Realistic updates from the patient's side, as Telegram sends them (texts, deep-link
starts, shared contacts, button presses on messages the bot sent), with increasing ids; and
the bot's own messages as Telegram stores them, so a press can refer to one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PATIENT_ID = 555_000_111
DATE = 1_796_108_400  # 2026-12-01T07:00:00Z, the tests' NOW


class UpdateBuilders:
    """Mixed into `FakeTelegram`, whose counters and stored messages these use."""

    bot_id: int
    messages: dict[tuple[int, int], dict[str, Any]]
    _update_ids: Iterator[int]
    _message_ids: Iterator[int]
    _query_ids: Iterator[int]
    _open_queries: set[str]

    def user(self, user_id: int = PATIENT_ID, language_code: str | None = "pl") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Jan"}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def message_update(
        self,
        *,
        user_id: int = PATIENT_ID,
        chat: dict[str, Any] | None = None,
        language_code: str | None = "pl",
        **content: Any,
    ) -> dict[str, Any]:
        """An update with a message from the patient; `content` is e.g. `text=...`."""
        message = {
            "message_id": next(self._message_ids),
            "from": self.user(user_id, language_code),
            "chat": chat or {"id": user_id, "type": "private", "first_name": "Jan"},
            "date": DATE,
            **content,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def text_update(self, text: str, **kwargs: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.message_update(**content, **kwargs)

    def start_update(self, payload: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """What a deep link `t.me/<bot>?start=PAYLOAD` sends."""
        return self.text_update("/start" + (f" {payload}" if payload else ""), **kwargs)

    def contact_update(
        self,
        phone: str,
        *,
        contact_user_id: int | None = PATIENT_ID,
        user_id: int = PATIENT_ID,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A shared contact: the patient's own (`contact_user_id == user_id`) or a forwarded one."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "Jan"}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self.message_update(contact=contact, user_id=user_id, **kwargs)

    def callback_update(
        self, data: str, *, user_id: int = PATIENT_ID, language_code: str | None = "pl"
    ) -> dict[str, Any]:
        """A press of an inline button on a message the bot sent earlier (known to this fake)."""
        chat = {"id": user_id, "type": "private", "first_name": "Jan"}
        markup = {"inline_keyboard": [[{"text": "…", "callback_data": data}]]}
        message = self._store_message(chat, text="…", reply_markup=markup)
        query_id = f"{self.bot_id}{next(self._query_ids):08d}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self.user(user_id, language_code),
            "message": message,
            "chat_instance": "-7600000000000000001",
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Frontdesk",
            "username": "frontdesk_test_bot",
        }

    def _store_message(self, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        message_id = content.pop("message_id", None) or next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._me(),
            "chat": chat,
            "date": DATE,
        }
        message.update({k: v for k, v in content.items() if v is not None})
        if "inline_keyboard" not in (message.get("reply_markup") or {}):
            message.pop("reply_markup", None)  # only inline keyboards stay on a message
        self.messages[(chat["id"], message_id)] = message
        return message
