"""alerts_perf: indexes for the alert rules on visits; alert.notified dropped

The scheduler pass reads visits still planned by day (visit tomorrow, report missing) and each
household's visits by day (not seen for N days). Whether an alert still owes a notification is
now read from the notification table itself (its unique key), so alert.notified is gone.

Revision ID: 0014_alerts_perf
Revises: 0013_dashboard
Create Date: 2026-11-23 08:16:38.810274

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_alerts_perf'
down_revision = '0013_dashboard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('notified')
    op.create_index('ix_visit_household_day', 'visit', ['household_id', 'day'], unique=False)
    op.create_index('ix_visit_status_day', 'visit', ['status', 'day'], unique=False)


def downgrade():
    op.drop_index('ix_visit_status_day', table_name='visit')
    op.drop_index('ix_visit_household_day', table_name='visit')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified', sa.VARCHAR(length=240), nullable=True))
