"""What the tests and the benchmarks share: fakes of the outside world (`fakes/`, servers
on loopback that keep each platform's published contract), a small clinic and its
factories, and drivers that walk a chat, a phone call or the staff API as people do.

Test code, never imported by the product; `bench/` uses it without importing `tests/`.
"""
