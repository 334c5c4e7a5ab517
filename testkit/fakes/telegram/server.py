"""The fake Telegram Bot API server (see the package's docstring for its contract): the
calls recorded, failures queued, limits enforced, the methods the app uses answered."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from testkit.fakes.telegram.updates import DATE, UpdateBuilders
from testkit.fakes.telegram.wire import (
    TelegramError,
    check_markup,
    error,
    private_chat,
    read_params,
)

TOKEN = "123456789:AAE-fake_Token-for-tests-only"
WAIT_LIMIT = 5.0  # seconds a test waits for a call the app makes in the background
OVERALL_PER_SECOND = 30  # Telegram's broadcast limit, as documented
PER_CHAT_SECONDS = 1.0  # one message a second to one chat

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 0  # the HTTP status answered; 0 while a long poll is still held
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None = None


@dataclass
class FakeTelegram(UpdateBuilders):
    token: str = TOKEN
    max_poll_wait: float = 2.0  # a long poll is held at most this long (Telegram: `timeout`)
    base_url: str = ""  # set once served
    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot
    webhook: dict[str, Any] | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)  # pending for getUpdates
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    gate: asyncio.Event | None = None  # when set to an unset Event, every call waits for it
    throttle: bool = False  # enforce Telegram's limits: 30 messages/s overall, 1/s per chat
    throttled: int = 0  # how many sends got a 429

    def __post_init__(self) -> None:
        self.bot_id = int(self.token.split(":")[0])
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._update_ids = itertools.count(700_000_001)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._news = asyncio.Event()
        self._recent: deque[tuple[float, Any]] = deque()  # (time, chat) of the last second's sends
        self._closing = False
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "senddocument": self._send_document,
            "editmessagereplymarkup": self._edit_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    # -- serving -------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _shutdown(self, app: web.Application) -> None:
        self._closing = True  # long polls still held return now
        self._notify()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await read_params(request)
        except (ValueError, UnicodeDecodeError):
            params = None
        call = Call(method, params or {}, status=0)  # recorded on arrival: a long poll shows
        self.calls.append(call)
        self._notify()
        if self.gate is not None:
            await self.gate.wait()
        response = await self._answer(request, call, params)
        call.status = response.status
        self._notify()
        return response

    async def _answer(
        self, request: web.Request, call: Call, params: dict[str, Any] | None
    ) -> web.Response:
        if params is None:
            return error(400, "Bad Request: can't parse parameters")
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        name = call.method.lower()
        if name not in self._methods and name != "getupdates":
            return error(404, "Not Found")
        if self.throttle and name in ("sendmessage", "senddocument"):
            wait = self._over_limit(params.get("chat_id"))
            if wait:
                self.throttled += 1
                return error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        queued = self._failures[name]
        if queued:
            failure = queued.popleft()
            return error(failure.status, failure.description, failure.parameters)
        try:
            if name == "getupdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._methods[name](params)
        except TelegramError as exc:
            return error(exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    def _over_limit(self, chat_id: Any) -> int:
        """Seconds to wait if this send would break the limits (then it is not counted)."""
        now = asyncio.get_running_loop().time()
        recent = self._recent
        while recent and recent[0][0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= OVERALL_PER_SECOND or any(
            chat == chat_id and at > now - PER_CHAT_SECONDS for at, chat in recent
        ):
            return 1
        recent.append((now, chat_id))
        return 0

    def _notify(self) -> None:
        self._news.set()
        self._news = asyncio.Event()

    # -- what tests use ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """The next call of `method` answers this error (queued: call again for more)."""
        self._failures[method.lower()].append(Failure(status, description, parameters))

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of each call of `method`, in order (failed calls included)."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """Wait (at most `WAIT_LIMIT` s) until `method` was called `count` times."""

        def seen() -> list[Call]:
            return [c for c in self.calls if c.method.lower() == method.lower()]

        await self.wait_until(
            lambda: len(seen()) >= count, f"{method} was not called {count} times"
        )
        return seen()

    async def wait_until(
        self, condition: Callable[[], bool], failure: str, limit: float = WAIT_LIMIT
    ) -> None:
        """Wait (at most `limit` s) until `condition()` holds after some call."""
        try:
            async with asyncio.timeout(limit):
                while not condition():
                    await self._news.wait()
        except TimeoutError:
            raise AssertionError(failure) from None

    def queue(self, update: dict[str, Any]) -> None:
        """Make `update` pending for getUpdates."""
        self.updates.append(update)
        self._notify()

    # -- the methods -------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._me(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text") or ""
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise TelegramError(400, "Bad Request: message is too long")
        if params.get("parse_mode") not in (None, "HTML", "Markdown", "MarkdownV2"):
            raise TelegramError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}")
        markup = check_markup(params.get("reply_markup"))
        return self._store_message(private_chat(chat_id), text=text, reply_markup=markup)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        document = params.get("document")
        if not isinstance(document, dict):
            raise TelegramError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption")
        if caption is not None and len(caption) > 1024:
            raise TelegramError(400, "Bad Request: message caption is too long")
        n = next(self._message_ids)
        content: dict[str, Any] = {
            "document": {
                "file_id": f"BQACAgIAAxkBAAI{n:06d}",
                "file_unique_id": f"AgAD{n:06d}",
                "file_name": document["filename"],
                "mime_type": document["content_type"],
                "file_size": len(document["content"]),
            }
        }
        if caption:
            content["caption"] = caption
        markup = check_markup(params.get("reply_markup"))
        return self._store_message(
            private_chat(chat_id), message_id=n, reply_markup=markup, **content
        )

    def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (self._chat(params), int(params.get("message_id") or 0))
        message = self.messages.get(key)
        if message is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        markup = check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise TelegramError(400, _NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return {**message, "edit_date": DATE}

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_queries:
            raise TelegramError(400, _QUERY_TOO_OLD)
        if len(params.get("text") or "") > 200:
            raise TelegramError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            self.webhook = None
            return True
        if not url.startswith("https://"):
            raise TelegramError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise TelegramError(400, "Bad Request: bad webhook: secret token is invalid")
        if not 1 <= int(params.get("max_connections", 40)) <= 100:
            raise TelegramError(400, "Bad Request: bad webhook: max_connections is invalid")
        self.webhook = params
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int):  # confirms every update before it
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        wait = min(float(params.get("timeout", 0)), self.max_poll_wait)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not self.updates and not self._closing and (left := deadline - loop.time()) > 0:
            news = self._news
            try:
                await asyncio.wait_for(news.wait(), left)
            except TimeoutError:
                break
        return self.updates[:limit]

    # -- helpers -----------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise TelegramError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        return chat_id
