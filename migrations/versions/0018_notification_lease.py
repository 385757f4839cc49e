"""notification_lease: notification.claimed_at, the start of a scheduler's claim

A notification is claimed (status "sending") by one scheduler before it is pushed. If that
process dies before recording the result, the row stayed "sending" for ever; with the claim's
time recorded, a later pass puts claims older than the lease (10 minutes) back in the queue.
Rows already "sending" have no time: the first pass after the upgrade releases them.

Revision ID: 0018_notification_lease
Revises: 0017_page_indexes
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018_notification_lease'
down_revision = '0017_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
