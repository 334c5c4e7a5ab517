"""What the engine owes the partner platforms and hears from them: the port every
adapter implements, the outbox sync, the inbox of partner notifications, the desk's view
of refusals and mappings, and eligibility checks. How each platform is spoken to lives
in the top-level `partners/` face.

Imports `core.booking`, `core.patients` and below."""
