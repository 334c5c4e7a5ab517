"""The Telegram face: updates in (webhook or long polling), the dialog's replies out.

`translate` turns an update into an `Incoming`, `render` turns a `Reply` into
Bot API calls, `answer` ties them to the dialog, `outbox` sends without ever
failing the update, `routes` and `lifecycle` mount it all on the web app.
"""
