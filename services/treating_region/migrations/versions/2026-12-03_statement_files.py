"""statement files: hospitals' 3202 detail uploads (9101) and their result files (9102)

Revision ID: 4f6d2b8e1a90
Revises: c3e1a7d05b12
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f6d2b8e1a90"
down_revision: str | None = "c3e1a7d05b12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statement_file",
        sa.Column("file_qury_no", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_qury_no", name=op.f("pk_statement_file")),
    )


def downgrade() -> None:
    op.drop_table("statement_file")
