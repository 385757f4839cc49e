"""dashboard: indexes for the coordinator dashboard's aggregates (no table of its own)

Revision ID: 0013_dashboard
Revises: 0012_security
Create Date: 2026-11-23 08:07:57.448008

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_dashboard'
down_revision = '0012_security'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX on both databases (no table rebuild needed).
    op.create_index('ix_enrolment_team_dates', 'enrolment',
                    ['team_id', 'entry_date', 'exit_date', 'programme', 'household_id',
                     'exit_destination'], unique=False)
    op.create_index('ix_visit_team_day_status_place', 'visit',
                    ['team_id', 'day', 'status', 'place'], unique=False)
    op.create_index('ix_visit_report_orientation', 'visit_report', ['visit_id'], unique=False,
                    sqlite_where=sa.text('orientation IS NOT NULL'),
                    postgresql_where=sa.text('orientation IS NOT NULL'))


def downgrade():
    op.drop_index('ix_visit_report_orientation', table_name='visit_report')
    op.drop_index('ix_visit_team_day_status_place', table_name='visit')
    op.drop_index('ix_enrolment_team_dates', table_name='enrolment')
