"""Talking to patients: chat state, escalations to a person, message templates, the
reminder rules and their planner, and the notification dispatcher that delivers once.

Imports `core.booking` and below."""
