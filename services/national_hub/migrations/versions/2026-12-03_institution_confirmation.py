"""institution confirmation: an institution's 3261 confirmation of its clearing rows

Revision ID: 8c4f1a9e2d63
Revises: 2b8e4f6a0d57
Create Date: 2026-12-03 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4f1a9e2d63"
down_revision: str | None = "2b8e4f6a0d57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clearing_institution_confirmation",
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "fixmedins_code", name=op.f("pk_clearing_institution_confirmation")
        ),
    )


def downgrade() -> None:
    op.drop_table("clearing_institution_confirmation")
