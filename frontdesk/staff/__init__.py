"""The registration desk's web face, served by the root itself: signing in (`auth.py`),
the JSON API under `/api/v1` (`api/`) and the dashboard under `/staff/` (`dashboard/`).
Everything here works in the signed-in member's scope."""
