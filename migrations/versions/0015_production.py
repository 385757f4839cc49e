"""production: index visit_worker by worker (Aujourd'hui, reports to write)

Revision ID: 0015_production
Revises: 0014_alerts_perf
Create Date: 2026-11-23 08:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_production'
down_revision = '0014_alerts_perf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit_worker', schema=None) as batch_op:
        batch_op.create_index('ix_visit_worker_user_id', ['user_id', 'visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_worker', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_worker_user_id')
