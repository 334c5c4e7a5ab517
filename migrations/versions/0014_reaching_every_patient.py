"""reaching every patient: STOP/START per address, the address a notification went to
(so an SMS reply finds the message it answers), discreet services, waiting-list offers
told after quiet hours and automatic bookings

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = (("service", "discreet"), ("waitlist_entry", "auto_book"), ("waitlist_offer", "auto"))


def upgrade() -> None:
    op.create_table(
        "messaging_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messaging_consent")),
    )
    op.create_index("ix_consent_address", "messaging_consent", ["channel", "address", "id"])
    for table, column in FLAGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table("waitlist_offer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_to", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_notification_sent_to", ["sent_to", "sent_at"])


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_sent_to")
        batch_op.drop_column("sent_to")
    with op.batch_alter_table("waitlist_offer", schema=None) as batch_op:
        batch_op.drop_column("told_at")
    for table, column in FLAGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    op.drop_index("ix_consent_address", table_name="messaging_consent")
    op.drop_table("messaging_consent")
