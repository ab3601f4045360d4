"""journal offset: how far the hub has read the hub.journal stream into its log (design §4)

Revision ID: 3c91d7a4e2b5
Revises: 8e4b2f61c0d7
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c91d7a4e2b5"
down_revision: str | None = "8e4b2f61c0d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_offset",
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_journal_offset")),
    )


def downgrade() -> None:
    op.drop_table("journal_offset")
