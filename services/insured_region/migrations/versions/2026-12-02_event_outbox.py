"""event outbox: enrolment events owed to the hub's national person index (design §4)

Revision ID: 3c7e91d04b52
Revises: 5d2f0c9e8a41
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3c7e91d04b52"
down_revision: str | None = "5d2f0c9e8a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("relay_id", sa.String(length=36), nullable=False),
        sa.Column("exchange", sa.String(length=40), nullable=False),
        sa.Column("routing_key", sa.String(length=100), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("relay_id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_due_at", "outbox", ["due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_due_at", table_name="outbox")
    op.drop_table("outbox")
