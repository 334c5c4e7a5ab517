"""The phone line's records: calls, callback requests, tasks callers leave for the
staff, and the reports over them.

Imports `core.desk`, `core.patients` and below."""
