"""the desk at work: a member's language on their account, an escalation's branch, a
callback's attempts that found nobody and when to try again

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("branch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_escalation_branch_id_branch"), "branch", ["branch_id"], ["id"]
        )
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.alter_column("attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_escalation_branch_id_branch"), type_="foreignkey")
        batch_op.drop_column("branch_id")
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_column("language")
