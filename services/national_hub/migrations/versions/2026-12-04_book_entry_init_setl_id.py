"""book entry init_setl_id: find a settlement's mirrors and deductions by index

Revision ID: 9d1e6b3f7c42
Revises: 4f7d2c8a1b90
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9d1e6b3f7c42"
down_revision: str | None = "4f7d2c8a1b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_book_entry_init_setl_id", "book_entry", ["init_setl_id"])


def downgrade() -> None:
    op.drop_index("ix_book_entry_init_setl_id", table_name="book_entry")
