"""The partner platforms' adapters (httpx) and Docplanner's push endpoint (aiohttp).

Each module turns the engine's operations (`core.partners.port`) into one platform's
calls and its notifications into the engine's notices; the rules stay in `core/partners/`.
"""
