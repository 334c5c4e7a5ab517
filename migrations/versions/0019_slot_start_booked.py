"""slot.start_booked: whether a booking holds the doctor's cell at the slot's start, kept
by triggers on `occupancy` and `slot`, with a partial index of the slots where it does
not, so the free-slot search walks those only (issue 19)

Revision ID: 0019_slot_start_booked
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_slot_start_booked"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The flag's one truth, for a slot: whether a booking's cell of the doctor lies at its start.
# Written out in full in each statement below: a migration's SQL stays as it ran.
POSTGRES = (
    # A booking's doctor cell taken or given back sets the flag of the slot starting there
    # (at most one: the cell is unique, so is a doctor's slot start).
    """CREATE FUNCTION occupancy_marks_slot() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy
                WHERE resource_kind = 'D' AND resource_id = OLD.resource_id
                AND cell_at = OLD.cell_at AND booking_id IS NOT NULL)
            WHERE doctor_id = OLD.resource_id AND start_at = OLD.cell_at;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy
                WHERE resource_kind = 'D' AND resource_id = NEW.resource_id
                AND cell_at = NEW.cell_at AND booking_id IS NOT NULL)
            WHERE doctor_id = NEW.resource_id AND start_at = NEW.cell_at;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER occupancy_marks_slot_insert AFTER INSERT ON occupancy
    FOR EACH ROW WHEN (NEW.resource_kind = 'D' AND NEW.booking_id IS NOT NULL)
    EXECUTE FUNCTION occupancy_marks_slot()""",
    """CREATE TRIGGER occupancy_marks_slot_delete AFTER DELETE ON occupancy
    FOR EACH ROW WHEN (OLD.resource_kind = 'D' AND OLD.booking_id IS NOT NULL)
    EXECUTE FUNCTION occupancy_marks_slot()""",
    """CREATE TRIGGER occupancy_marks_slot_update AFTER UPDATE ON occupancy
    FOR EACH ROW EXECUTE FUNCTION occupancy_marks_slot()""",
    # A slot made or moved where a booking already is (a regenerated schedule) reads it.
    """CREATE FUNCTION slot_reads_start_booked() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.start_booked := EXISTS (SELECT 1 FROM occupancy
            WHERE resource_kind = 'D' AND resource_id = NEW.doctor_id
            AND cell_at = NEW.start_at AND booking_id IS NOT NULL);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER slot_reads_start_booked BEFORE INSERT OR UPDATE OF doctor_id, start_at
    ON slot FOR EACH ROW EXECUTE FUNCTION slot_reads_start_booked()""",
)
SQLITE = (
    """CREATE TRIGGER occupancy_marks_slot_insert AFTER INSERT ON occupancy
    WHEN NEW.resource_kind = 'D' AND NEW.booking_id IS NOT NULL
    BEGIN
        UPDATE slot SET start_booked = 1
        WHERE doctor_id = NEW.resource_id AND start_at = NEW.cell_at;
    END""",
    """CREATE TRIGGER occupancy_marks_slot_delete AFTER DELETE ON occupancy
    WHEN OLD.resource_kind = 'D' AND OLD.booking_id IS NOT NULL
    BEGIN
        UPDATE slot SET start_booked = 0
        WHERE doctor_id = OLD.resource_id AND start_at = OLD.cell_at;
    END""",
    """CREATE TRIGGER occupancy_marks_slot_update AFTER UPDATE ON occupancy
    BEGIN
        UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy AS o
            WHERE o.resource_kind = 'D' AND o.resource_id = slot.doctor_id
            AND o.cell_at = slot.start_at AND o.booking_id IS NOT NULL)
        WHERE (doctor_id = OLD.resource_id AND start_at = OLD.cell_at)
        OR (doctor_id = NEW.resource_id AND start_at = NEW.cell_at);
    END""",
    """CREATE TRIGGER slot_reads_start_booked_insert AFTER INSERT ON slot
    BEGIN
        UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy
            WHERE resource_kind = 'D' AND resource_id = NEW.doctor_id
            AND cell_at = NEW.start_at AND booking_id IS NOT NULL)
        WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER slot_reads_start_booked_update AFTER UPDATE OF doctor_id, start_at ON slot
    BEGIN
        UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy
            WHERE resource_kind = 'D' AND resource_id = NEW.doctor_id
            AND cell_at = NEW.start_at AND booking_id IS NOT NULL)
        WHERE id = NEW.id;
    END""",
)
TRIGGERS = (
    ("occupancy", "occupancy_marks_slot_insert"),
    ("occupancy", "occupancy_marks_slot_delete"),
    ("occupancy", "occupancy_marks_slot_update"),
)


def upgrade() -> None:
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("start_booked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        """UPDATE slot SET start_booked = EXISTS (SELECT 1 FROM occupancy
            WHERE resource_kind = 'D' AND resource_id = slot.doctor_id
            AND cell_at = slot.start_at AND booking_id IS NOT NULL)"""
    )
    op.create_index(
        "ix_slot_doctor_start_open",
        "slot",
        ["doctor_id", "start_at"],
        postgresql_where=sa.text("NOT start_booked"),
        sqlite_where=sa.text("start_booked = 0"),
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, trigger in (*TRIGGERS, ("slot", "slot_reads_start_booked")):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute("DROP FUNCTION occupancy_marks_slot()")
        op.execute("DROP FUNCTION slot_reads_start_booked()")
    else:
        for _, trigger in (
            *TRIGGERS,
            ("slot", "slot_reads_start_booked_insert"),
            ("slot", "slot_reads_start_booked_update"),
        ):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_index("ix_slot_doctor_start_open", table_name="slot")
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.drop_column("start_booked")
