"""The registration desk's work: staff accounts and their scope, lists, the work queue
that callbacks and tasks share, bookings and patient records as staff see them, the
inbox of escalated chats.

Imports `core.booking`, `core.messaging`, `core.patients` and below."""
