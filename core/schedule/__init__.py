"""Time to sell: weekly templates turned into slots, the occupancy cells that make a
double booking impossible, free-slot search, and the public feed of free slots.

Imports `core.clinic` and below."""
