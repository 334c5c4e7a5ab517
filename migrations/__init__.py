"""Alembic migrations of the engine's schema; `frontdesk migrate` applies them."""
