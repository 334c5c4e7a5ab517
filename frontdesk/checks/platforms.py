"""What Telegram and Twilio say of this deployment, when the credentials allow asking:
the webhook Telegram posts to (getWebhookInfo), and where Twilio sends the calls of the
clinic's numbers (IncomingPhoneNumbers). Asked through the clients the app itself uses,
so `TELEGRAM_API_SERVER` and `TWILIO_API_BASE` point them at the tests' fakes too."""

from __future__ import annotations

from collections.abc import Collection

from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramUnauthorizedError
from aiohttp import ClientError

from bot.telegram.lifecycle import WEBHOOK_PATH, make_bot
from edge.twilio_lists import IncomingNumber, incoming_numbers
from edge.twilio_rest import TwilioAccount, TwilioError, open_client
from frontdesk.checks.report import Finding, blocks, ok, warns
from frontdesk.faces import telegram_config
from frontdesk.settings import Settings
from ivr import paths


async def telegram_findings(settings: Settings) -> list[Finding]:
    if not settings.telegram_bot_token:
        return []
    bot = make_bot(telegram_config(settings))
    try:
        info = await bot.get_webhook_info()
    except TelegramUnauthorizedError:
        return [blocks("Telegram", "refused TELEGRAM_BOT_TOKEN: ask @BotFather for the token")]
    except (TelegramAPIError, ClientDecodeError, ClientError, TimeoutError) as exc:
        return [warns("Telegram", f"could not be asked for its webhook ({type(exc).__name__})")]
    finally:
        await bot.session.close()
    found: list[Finding] = []
    if settings.public_base_url is None:
        if info.url:
            found.append(
                warns("Telegram", f"posts updates to {info.url}: long polling here gets none")
            )
        else:
            found.append(ok("Telegram", "no webhook: updates are read by long polling"))
    else:
        expected = settings.public_base_url + WEBHOOK_PATH
        if info.url == expected:
            found.append(ok("Telegram", f"posts updates to {expected}"))
        elif not info.url:
            found.append(
                warns("Telegram", "no webhook registered yet: serve registers it when it starts")
            )
        else:
            found.append(
                blocks(
                    "Telegram",
                    f"posts this bot's updates to {info.url}, not {expected}: another "
                    "deployment with the same token?",
                )
            )
    if info.last_error_message:
        found.append(warns("Telegram", f"its last delivery failed: {info.last_error_message}"))
    if info.pending_update_count:
        found.append(warns("Telegram", f"{info.pending_update_count} update(s) wait delivery"))
    return found


async def twilio_findings(settings: Settings, dialled: Collection[str]) -> list[Finding]:
    """Each of the clinic's numbers (`dialled`: the branches' phones and IVR_LANGUAGES')
    should send its calls to this deployment's voice webhook and status callback."""
    sid, token, public = (
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.public_base_url,
    )
    if not (sid and token and public):
        return []
    account = TwilioAccount(sid=sid, token=token, sender="", api_base=settings.twilio_api_base)
    try:
        async with open_client(account) as client:
            numbers = await incoming_numbers(client)
    except TwilioError as exc:
        if exc.status in (401, 403):
            return [blocks("Twilio", "refused TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")]
        return [warns("Twilio", f"could not be asked for its numbers (HTTP {exc.status})")]
    owned = {number.phone_number: number for number in numbers}
    return [_number_finding(phone, owned.get(phone), public) for phone in sorted(dialled)]


def _number_finding(phone: str, number: IncomingNumber | None, public: str) -> Finding:
    voice, status = public + paths.BASE, public + paths.STATUS
    if number is None:
        return warns(phone, "not a number of this Twilio account: its calls never reach us")
    if number.voice_url != voice:
        shown = number.voice_url or "nowhere"
        return blocks(phone, f"Twilio sends its calls to {shown}, not {voice}")
    if number.status_callback != status:
        return warns(phone, f"its status callback should be {status}: call records stay open")
    return ok(phone, f"calls go to {voice}")
