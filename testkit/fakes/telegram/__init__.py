"""A fake Telegram Bot API server: the real transport (HTTP, aiogram's own session and error
mapping) against a server that keeps Telegram's contract (docs/PLATFORMS.md).

- `/bot{token}/{method}`, form (urlencoded or multipart, nested objects as
  JSON-encoded fields, files by `attach://`), JSON or query parameters;
- a wrong token is 401, an unknown method 404, answers are
  `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`;
- limits enforced as Telegram does: text 1-4096 (UTF-16 units), callback_data
  1-64 bytes, webhook secret `[A-Za-z0-9_-]{1,256}`, HTTPS webhook URLs,
  `getUpdates` refused (409) while a webhook is set;
- every call is recorded (`calls`, `calls_of`), failures can be queued
  (`fail_next`), chats can block the bot (`blocked`); with `throttle`, sends
  beyond 30 a second or 1 a second per chat get 429 with `retry_after`;
- builders of realistic updates (`text_update`, `start_update`,
  `contact_update`, `callback_update`) with increasing `update_id`s, and a
  queue for `getUpdates` (long polling wakes up when one is queued).
"""
