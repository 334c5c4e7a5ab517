"""journeys: a chat's turn taken by one process at a time (`chat_turn`); cards in
another card's care (`guardianship`); when a chat was shown the information notice
(`privacy_notice`); branch names and doctors' titles in four languages (as 0010 did for
services and specialties)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRANSLATED = (("branch", "names"), ("doctor", "titles"))


def upgrade() -> None:
    op.create_table(
        "chat_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_turn")),
        sa.UniqueConstraint("channel", "chat_id", name="uq_chat_turn_chat"),
    )
    op.create_table(
        "guardianship",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("dependent_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "guardian_id <> dependent_id", name=op.f("ck_guardianship_guardian_is_not_dependent")
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["patient.id"], name=op.f("fk_guardianship_guardian_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["dependent_id"], ["patient.id"], name=op.f("fk_guardianship_dependent_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardianship")),
        sa.UniqueConstraint("guardian_id", "dependent_id", name="uq_guardianship_pair"),
    )
    with op.batch_alter_table("guardianship", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardianship_guardian_id"), ["guardian_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guardianship_dependent_id"), ["dependent_id"], unique=False
        )
    op.create_table(
        "privacy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice")),
        sa.UniqueConstraint("channel", "chat_id", name="uq_privacy_notice_chat"),
    )
    for table, column in TRANSLATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=False, server_default="{}"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    for table, column in TRANSLATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    op.drop_table("privacy_notice")
    op.drop_table("guardianship")
    op.drop_table("chat_turn")
