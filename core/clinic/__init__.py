"""The clinic as it is set up: branches, doctors, rooms, the service catalog with its
restrictions, opening hours, and the 5-minute grid every time in the engine falls on.

Imports `core.patients` (a restriction asks a patient's age) and the ground."""
