"""The booking engine: the clinic's domain, shared by every channel and partner.

Nothing here imports a web framework, a messenger SDK or an HTTP client; the
faces (`bot/`, `ivr/`, `frontdesk/`) translate the outside world into calls here.
"""
