"""A realistic demo clinic: two branches, a dozen doctors, a services catalog, eight weeks
of slots, a few patients with bookings and a waiting-list entry.

data.py holds the made-up clinic's tables; seed.py writes them through the engine's
own services (`seed_demo`, behind `frontdesk seed-demo` and `frontdesk demo`).
"""
