"""a branch's slots indexed by time: the search of one branch walks them in order

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.create_index("ix_slot_branch_start", ["branch_id", "start_at"], unique=False)
        batch_op.drop_index(batch_op.f("ix_slot_branch_id"))


def downgrade() -> None:
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slot_branch_id"), ["branch_id"], unique=False)
        batch_op.drop_index("ix_slot_branch_start")
