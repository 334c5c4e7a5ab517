"""single-use booking links and the recall campaigns that send them

Revision ID: 0011_18a
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_18a"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recall_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaign")),
    )
    op.create_table(
        "booking_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=False),
        sa.Column("doctor_ids", sa.JSON(), nullable=False),
        sa.Column("moves_booking_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_booking_link_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["moves_booking_id"],
            ["booking.id"],
            name=op.f("fk_booking_link_moves_booking_id_booking"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaign.id"],
            name=op.f("fk_booking_link_campaign_id_recall_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_link_booking_id_booking")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_link")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_booking_link_booking_id")),
    )
    with op.batch_alter_table("booking_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_link_patient_id"), ["patient_id"])
        batch_op.create_index(batch_op.f("ix_booking_link_campaign_id"), ["campaign_id"])


def downgrade() -> None:
    with op.batch_alter_table("booking_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_link_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_booking_link_patient_id"))
    op.drop_table("booking_link")
    op.drop_table("recall_campaign")
