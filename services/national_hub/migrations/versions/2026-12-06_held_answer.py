"""held answer: an answer read before (or without) its request's copy waits to be booked

Revision ID: 2f6a9c1d8e54
Revises: 9d1e6b3f7c42
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2f6a9c1d8e54"
down_revision: str | None = "9d1e6b3f7c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_answer",
        sa.Column("msgid", sa.String(length=40), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("infno", sa.String(length=8), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("msgid", "insuplc_admdvs", name=op.f("pk_held_answer")),
    )
    op.create_index(
        "ix_held_answer_unreleased",
        "held_answer",
        ["msgid"],
        postgresql_where=sa.text("released_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_held_answer_unreleased", table_name="held_answer")
    op.drop_table("held_answer")
