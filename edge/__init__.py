"""What every face shares at the edge of the web app: JSON responses and error bodies,
the HTTP translation of the engine's errors, the client's address behind proxies, texts
in the patient's language, and Twilio's REST client and webhook signature.

Faces (`bot/`, `ivr/`, `partners/`, the staff and public pages) import this and `core/`;
this imports `core/` only, never a face or the composition root.
"""
