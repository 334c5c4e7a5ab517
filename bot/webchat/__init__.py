"""The demo chat: the same Dialog as Telegram and WhatsApp, in a browser page.

`routes.setup(app)` mounts `GET /demo/chat` (the page) and
`POST /demo/chat/send` (one patient action in, the replies out as JSON).
"""
