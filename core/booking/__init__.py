"""Booking a visit: holds, new visits, moves, cancellations and restores, where a visit
is placed on the grid, the waiting list that takes freed time, and the eligibility gate
a paying partner answers before a booking.

Imports `core.schedule`, `core.clinic` and below; partners plug in through `gate.py`."""
