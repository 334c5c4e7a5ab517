"""Fakes of the outside world: servers that keep the platforms' contracts (PLATFORMS.md)."""
