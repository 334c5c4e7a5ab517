"""A fake Docplanner (ZnanyLekarz) Integrations API on loopback, keeping its contract
(PLATFORMS.md):

- `POST /oauth/v2/token` with client credentials (HTTP Basic or form fields),
  `grant_type=client_credentials`; a bearer token valid `expires_in` seconds; any
  other token is 401 `{"message": "Invalid credentials."}`; `expire_tokens()` makes
  the issued ones stale;
- `/api/v3/integration`: facilities, doctors with addresses, the service dictionary,
  address services; `PUT .../slots` replaces one day's work periods (400 across days
  or beyond 12 weeks), `DELETE .../slots/{day}`; `POST .../slots/{start}/book` (404
  when no free work period covers it), `DELETE .../bookings/{id}` (204),
  `POST .../bookings/{id}/move` (201 with a NEW id, 409 if cancelled or moved);
  `GET /notifications/multiple?limit=` hands out queued notifications once;
- a write limit per minute with `X-RateLimit-*` headers, 429 beyond;
- failures on demand: `fail_next(status, n, retry_after=)`, `down = True` (503 to
  everything), `delay` seconds before every answer (slow, or a timeout).

It keeps its state (`bookings`, `slots`) for the tests to assert on.
"""
