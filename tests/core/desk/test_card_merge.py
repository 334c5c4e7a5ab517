"""Flagged cards verified or merged into the patient's own card, on SQLite and PostgreSQL:
visits, their history, contacts, chats and messages follow the kept card; two PESELs
refuse the merge and leave everything as it was."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.desk.card_merge import HANDLED, MERGED, OWNED, CardReview, MergeResult
from core.errors import InvalidInput, NotFound
from core.models import (
    Booking,
    BookingChange,
    Contact,
    Conversation,
    Guardianship,
    Notification,
    Patient,
)
from core.patients.cards import PatientDraft, PatientService
from core.vocab import CareRelation, Channel, ContactKind
from testkit.dashboard import WEDNESDAY_8
from testkit.factories import SmallClinic, adult, small_clinic
from testkit.staff_desk import ADMIN

# A valid PESEL of a woman born on 5 May 1980 (Ewa Testowa5 of `adult(n=5)`).
PESEL = "80050512342"


async def unknown_caller(
    db: Database, clock: FrozenClock, phone: str, pesel: str | None = None
) -> int:
    """A card the phone line made for a caller it did not know (flagged)."""
    card = await PatientService(db, clock).register(
        PatientDraft(
            first_name="Nieznany",
            last_name="Rozmówca",
            pesel=pesel,
            contacts={ContactKind.PHONE: phone},
            needs_verification=True,
        )
    )
    assert card.id is not None
    return card.id


async def visit(db: Database, clock: FrozenClock, c: SmallClinic, patient_id: int) -> int:
    assert c.consult.id is not None
    assert c.internist.id is not None
    booking = await BookingService(db, clock).book(
        ADMIN.actor, VisitRequest(patient_id, c.consult.id, c.internist.id, WEDNESDAY_8)
    )
    assert booking.id is not None
    return booking.id


async def test_a_merge_moves_everything_to_the_kept_card(db: Database, clock: FrozenClock) -> None:
    c = await small_clinic(db, clock)
    kept = await adult(db, clock, 5)
    flagged = await unknown_caller(db, clock, "+48 601 234 567", PESEL)
    booking_id = await visit(db, clock, c, flagged)

    async def extras(session: AsyncSession) -> None:
        session.add(
            Conversation(
                channel=Channel.TELEGRAM, chat_id="42", patient_id=flagged, updated_at=clock.now()
            )
        )
        session.add(
            Notification(
                key="n1",
                patient_id=flagged,
                topic="reminder",
                due_at=clock.now(),
                created_at=clock.now(),
            )
        )

    await db.write(extras)

    result = await CardReview(db, clock).merge(ADMIN.actor, flagged, kept)

    assert result.kept_id == kept
    assert result.visits_moved == 1
    async with db.read() as session:
        assert await session.get(Patient, flagged) is None
        card = await session.get_one(Patient, kept)
        assert card.pesel == PESEL  # the kept card lacked one
        booking = await session.get_one(Booking, booking_id)
        assert booking.patient_id == kept
        phones = (
            await session.execute(
                select(col(Contact.value), col(Contact.priority))
                .where(col(Contact.patient_id) == kept)
                .order_by(col(Contact.priority))
            )
        ).all()
        assert [p for p, _ in phones] == ["+48501000005", "+48601234567"]
        chat = (await session.execute(select(Conversation))).scalar_one()
        assert chat.patient_id == kept
        note = (await session.execute(select(Notification))).scalar_one()
        assert note.patient_id == kept
        history = (
            (
                await session.execute(
                    select(BookingChange).where(col(BookingChange.booking_id) == booking_id)
                )
            )
            .scalars()
            .all()
        )
    merged = [h for h in history if h.action == MERGED]
    assert merged
    assert merged[0].actor == ADMIN.login
    assert merged[0].changes == {"patient_id": [flagged, kept]}
    assert next(h.action for h in history) == "booked"  # the earlier history is kept


async def test_two_pesels_refuse_the_merge_and_change_nothing(
    db: Database, clock: FrozenClock
) -> None:
    c = await small_clinic(db, clock)
    kept = await PatientService(db, clock).register(
        PatientDraft(first_name="Ewa", last_name="Testowa5", pesel=PESEL)
    )
    other = await PatientService(db, clock).register(
        PatientDraft(first_name="Ewa", last_name="Inna", pesel="02270803624")
    )
    assert kept.id is not None
    assert other.id is not None
    booking_id = await visit(db, clock, c, other.id)

    with pytest.raises(InvalidInput):
        await CardReview(db, clock).merge(ADMIN.actor, other.id, kept.id)

    async with db.read() as session:
        assert await session.get(Patient, other.id) is not None
        assert (await session.get_one(Booking, booking_id)).patient_id == other.id


async def test_merging_into_itself_or_a_missing_card_is_refused(
    db: Database, clock: FrozenClock
) -> None:
    kept = await adult(db, clock, 1)
    review = CardReview(db, clock)
    with pytest.raises(InvalidInput):
        await review.merge(ADMIN.actor, kept, kept)
    with pytest.raises(NotFound):
        await review.merge(ADMIN.actor, 999_999, kept)


async def test_verifying_clears_the_flag(db: Database, clock: FrozenClock) -> None:
    flagged = await unknown_caller(db, clock, "+48 601 234 568")
    card = await CardReview(db, clock).verify(flagged)
    assert card.needs_verification is False
    with pytest.raises(NotFound):
        await CardReview(db, clock).verify(999_999)


async def test_two_merges_of_one_card_at_once_leave_one_winner(
    db: Database, clock: FrozenClock
) -> None:
    c = await small_clinic(db, clock)
    first, second = await adult(db, clock, 1), await adult(db, clock, 2)
    flagged = await unknown_caller(db, clock, "+48 601 234 569")
    booking_id = await visit(db, clock, c, flagged)
    review = CardReview(db, clock)

    outcomes = await asyncio.gather(
        review.merge(ADMIN.actor, flagged, first),
        review.merge(ADMIN.actor, flagged, second),
        return_exceptions=True,
    )

    won = [o for o in outcomes if isinstance(o, MergeResult)]
    assert len(won) == 1
    assert [type(o) for o in outcomes if not isinstance(o, MergeResult)] == [NotFound]
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).patient_id == won[0].kept_id
        assert await session.get(Patient, flagged) is None


def test_every_table_that_points_at_a_card_is_moved_by_a_merge() -> None:
    """A table added later with a `patient_id` foreign key must be named in the merge,
    or deleting the flagged card would fail on it (or lose its rows)."""
    pointing = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "patient"
    }
    named = {model.__tablename__ for model in (*OWNED, *HANDLED)}
    assert pointing == named


async def test_a_merge_moves_the_care_links_without_a_card_in_its_own_care(
    db: Database, clock: FrozenClock
) -> None:
    """The flagged card looked after a child and was itself in the kept card's care: the
    child follows to the kept card, the link between the two cards goes."""
    await small_clinic(db, clock)
    kept = await adult(db, clock, 5)
    flagged = await unknown_caller(db, clock, "+48 601 234 567")
    patients = PatientService(db, clock)
    child = await patients.register(
        PatientDraft(first_name="Zosia", last_name="Nowak"),
        in_care_of=(flagged, CareRelation.CHILD),
    )
    assert child.id is not None

    async def ward(session: AsyncSession) -> None:
        session.add(
            Guardianship(
                guardian_id=kept,
                dependent_id=flagged,
                relation=CareRelation.WARD,
                created_at=clock.now(),
            )
        )

    await db.write(ward)
    await CardReview(db, clock).merge(ADMIN.actor, flagged, kept)
    async with db.read() as session:
        links = (
            await session.execute(
                select(col(Guardianship.guardian_id), col(Guardianship.dependent_id))
            )
        ).all()
    assert [tuple(link) for link in links] == [(kept, child.id)]
