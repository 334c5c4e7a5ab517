"""Storage: the engine's database access, identical on SQLite and PostgreSQL."""
