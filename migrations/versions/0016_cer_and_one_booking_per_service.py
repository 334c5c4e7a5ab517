"""CeR and the one-booking guard: services published to CeR (NFZ-contracted) or booked
only with an e-referral, the e-referral a visit carries, and the clinic's switch for one
future visit per patient and service, kept by a unique constraint over a column filled
only while the guard holds

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "one_booking_per_service", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name in ("nfz_contracted", "e_referral_required"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("e_referral", sa.String(length=44), nullable=True))
        batch_op.add_column(sa.Column("service_guard", sa.Boolean(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_booking_one_per_service", ["patient_id", "service_id", "service_guard"]
        )
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.alter_column("one_booking_per_service", server_default=None)
    with op.batch_alter_table("service", schema=None) as batch_op:
        for name in ("nfz_contracted", "e_referral_required"):
            batch_op.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint("uq_booking_one_per_service", type_="unique")
        batch_op.drop_column("service_guard")
        batch_op.drop_column("e_referral")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("e_referral_required")
        batch_op.drop_column("nfz_contracted")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("one_booking_per_service")
