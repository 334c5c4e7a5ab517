"""A fake Docplanner (ZnanyLekarz) Integrations API on loopback, built from Docplanner's
published OpenAPI document (the excerpt in tests/partners/contract/), not from our adapter:

- `POST /oauth/v2/token`: client credentials in HTTP Basic or form fields,
  `grant_type=client_credentials`; a bearer token valid `expires_in` (3600) seconds of the
  clock; a missing, unknown or expired one is 401 `{"message": "Invalid credentials."}`;
  `expire_tokens()` makes the issued ones stale;
- `/api/v3/integration`, answering `application/vnd.docplanner+json; charset=UTF-8`, errors
  `application/vnd.error+docplanner+json` `{"errors": [...], "message"}`, collections
  `{"_items": [...]}`, `with=` scopes only as listed per operation (else 400): facilities,
  doctors, a doctor, addresses, the service dictionary, address services; slots (`PUT`
  replaces only the ranges sent, `GET` the free ones, `DELETE .../slots/{date}`), bookings
  (`POST .../slots/{start}/book` 200 with a Booking, `GET` one or a range, `DELETE` 204,
  `POST .../move` 201 with a NEW id and `Location`, 409 once cancelled or moved);
  notifications pulled once (`GET /notifications/multiple`) and released (once an hour);
- the rate limits (writes 40 a minute by default, GETs 8000 an hour) with `X-RateLimit-*`
  headers, 429 and Retry-After beyond;
- portal events (a patient books, asks to book, cancels, moves, asks to move, confirms):
  each queues its notification, exactly per the document's callback schemas, and returns it
  for pushing;
- failures on demand: `fail_next(status, n, retry_after=)`, `down = True` (503 to
  everything), `delay` seconds before every answer (slow, or a timeout);
- observers (testkit.fakes.docplanner.wire) see every exchange and every notification: the
  contract check in tests/ is one.

It keeps its state (`bookings`, `slots`, `notifications`, `requests`) for the tests.
"""
