"""The booking engine: the clinic's domain, shared by every channel and partner.

Nothing here imports a web framework, a messenger SDK or an HTTP client; the
faces (`bot/`, `ivr/`, `partners/` and the staff and public pages in `frontdesk/`)
translate the outside world into calls here. The sub-packages form a stack, each
importing only those below it (import-linter checks it, see `docs/architecture.md`):
`calls` > `desk` > `messaging`, `partners` > `booking` > `schedule` > `clinic` >
`patients` > the ground (`vocab`, `errors`, `clock`, `actors`, `journal`, `leases`,
`throttle`, `db/`, `models/`).
"""
