"""The clinic's public web face, served by the root itself: the page with branches,
hours and the earliest free times, `/healthz`, the slots API, and the SMART Scheduling
Links feed of free slots. Nothing here needs a login."""
