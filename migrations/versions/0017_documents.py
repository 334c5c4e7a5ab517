"""patients' documents, the consent register, document links, the access log (append-only:
triggers refuse UPDATE and DELETE on both databases), retention per kind, and a scope on
API tokens

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("opener", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_access")),
    )
    with op.batch_alter_table("document_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_access_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "document_retention",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_document_retention")),
    )
    op.create_table(
        "document_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("grantee_kind", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("grantee_name", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "source <> 'paper' OR recorded_by IS NOT NULL",
            name=op.f("ck_document_grant_paper_recorded_by"),
        ),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_document_grant_window")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_document_grant_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_grant")),
    )
    with op.batch_alter_table("document_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_grant_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_grant_phone"), ["phone"], unique=False)

    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("structured_key", sa.String(length=64), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_document_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_document_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_document_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("file_key", name=op.f("uq_document_file_key")),
        sa.UniqueConstraint("structured_key", name=op.f("uq_document_structured_key")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "document_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_link_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["document_grant.id"],
            name=op.f("fk_document_link_grant_id_document_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_document_link_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_link")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_document_link_nonce_hash")),
    )
    with op.batch_alter_table("document_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_link_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_link_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_document_link_patient_id"), ["patient_id"], unique=False
        )

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=40), nullable=True))

    _append_only("document_access")


def _append_only(table: str) -> None:
    """Rows of `table` are written once: the database refuses to change or remove them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"""
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER document_access_append_only ON document_access")
        op.execute("DROP FUNCTION document_access_append_only()")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scope")

    with op.batch_alter_table("document_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_link_patient_id"))
        batch_op.drop_index(batch_op.f("ix_document_link_grant_id"))
        batch_op.drop_index(batch_op.f("ix_document_link_document_id"))

    op.drop_table("document_link")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_patient_id"))
        batch_op.drop_index(batch_op.f("ix_document_branch_id"))
        batch_op.drop_index(batch_op.f("ix_document_booking_id"))

    op.drop_table("document")
    with op.batch_alter_table("document_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_grant_phone"))
        batch_op.drop_index(batch_op.f("ix_document_grant_patient_id"))

    op.drop_table("document_grant")
    op.drop_table("document_retention")
    with op.batch_alter_table("document_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_access_patient_id"))

    op.drop_table("document_access")
