"""The voice webhooks' paths: Twilio is given them in the TwiML we return (and the first
and the status callback in its console)."""

from __future__ import annotations

BASE = "/twilio/voice"
INPUT = f"{BASE}/input"
QUEUE_WAIT = f"{BASE}/queue/wait"
QUEUE_KEY = f"{BASE}/queue/key"
QUEUE_DONE = f"{BASE}/queue/done"
RECORDING = f"{BASE}/recording"
STATUS = f"{BASE}/status"
