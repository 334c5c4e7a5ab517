"""the desk takes callbacks and tasks: who took one and when, a callback's outcome, a
closing note; a task's branch

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _taken_and_noted(batch_op: BatchOperations) -> None:
    batch_op.add_column(sa.Column("taken_by", sa.String(length=100), nullable=True))
    batch_op.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))
    batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))


def upgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        _taken_and_noted(batch_op)
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
    with op.batch_alter_table("staff_task", schema=None) as batch_op:
        _taken_and_noted(batch_op)
        batch_op.add_column(sa.Column("branch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_task_branch_id_branch"), "branch", ["branch_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_task", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_task_branch_id_branch"), type_="foreignkey")
        for column in ("branch_id", "note", "taken_at", "taken_by"):
            batch_op.drop_column(column)
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        for column in ("outcome", "note", "taken_at", "taken_by"):
            batch_op.drop_column(column)
