"""The WhatsApp face (Twilio Messaging): inbound webhook, reply rendering, the REST client.

`routes.setup(app)` mounts it; it stays dark (404) until Twilio is configured.
"""
