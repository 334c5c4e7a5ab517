"""The Bot API on the wire, as the fake Telegram reads and answers it: parameters however
they come (query, JSON, form, multipart with `attach://` files) decoded as Telegram decodes
them, reply markup checked, errors in Telegram's shape."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification", "protect_content"}
_INT = re.compile(r"-?\d+")


class TelegramError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Jan"}


def error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Telegram's checks of a reply_markup: callback_data 1-64 bytes, button texts present."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise TelegramError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise TelegramError(400, "Bad Request: text buttons are unallowed")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
    for row in markup.get("keyboard", []):
        for button in row:
            text = button if isinstance(button, str) else button.get("text")
            if not text:
                raise TelegramError(400, "Bad Request: keyboard button text is empty")
    return markup


async def read_params(request: web.Request) -> dict[str, Any]:
    """The call's parameters however they came, decoded as Telegram decodes them."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, dict[str, Any]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("a JSON body must be an object")
        params.update(body)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = {
                    "filename": value.filename,
                    "content": value.file.read(),
                    "content_type": value.content_type,
                }
            else:
                params[key] = value
    for key, value in list(params.items()):
        if isinstance(value, str):
            params[key] = _decode(key, value, files)
    for key, file in files.items():  # a file sent directly under the parameter's own name
        params.setdefault(key, file)
    return params


def _decode(key: str, value: str, files: dict[str, dict[str, Any]]) -> Any:
    if value.startswith("attach://") and value[len("attach://") :] in files:
        return files.pop(value[len("attach://") :])
    if key in _JSON_FIELDS:
        return json.loads(value)
    if key in _BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    if key in _INT_FIELDS and _INT.fullmatch(value):
        return int(value)
    return value
