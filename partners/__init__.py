"""The partner platforms' adapters (httpx) and their inbound routes (aiohttp).

Each module turns the engine's operations (`core.partner_port`) into one platform's
calls and its notifications into the engine's notices; the rules stay in `core/`.
"""
