"""One OS process of the cross-process race: fires booking attempts and prints its tally.

Run by tests/core/booking/test_concurrency.py as `python -m testkit.race_worker SPEC_JSON`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from datetime import datetime

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import DomainError
from core.vocab import Channel


async def _attempt(service: BookingService, spec: dict[str, object], start: str, n: int) -> str:
    patients = spec["patients"]
    assert isinstance(patients, list)
    patient = patients[n % len(patients)]
    try:
        await service.book(
            Actor.patient(patient, Channel.WHATSAPP),
            VisitRequest(
                patient,
                int(str(spec["service_id"])),
                int(str(spec["doctor_id"])),
                datetime.fromisoformat(start),
            ),
        )
    except DomainError as exc:
        return exc.code
    return "booked"


async def main(spec: dict[str, object]) -> Counter[str]:
    db = Database.from_url(str(spec["url"]))
    clock = FrozenClock(datetime.fromisoformat(str(spec["now"])))
    service = BookingService(db, clock)
    starts = spec["starts"]
    assert isinstance(starts, list)
    await asyncio.sleep(max(0.0, float(str(spec["go_at"])) - time.time()))
    attempts = int(str(spec["attempts"]))
    offset = int(str(spec["offset"]))
    results = await asyncio.gather(
        *(_attempt(service, spec, starts[(offset + i) % len(starts)], i) for i in range(attempts)),
        return_exceptions=True,
    )
    await db.dispose()
    return Counter(r if isinstance(r, str) else f"error:{type(r).__name__}" for r in results)


if __name__ == "__main__":
    tally = asyncio.run(main(json.loads(sys.argv[1])))
    sys.stdout.write(json.dumps(dict(tally)))
