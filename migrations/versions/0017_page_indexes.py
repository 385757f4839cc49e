"""page_indexes: indexes so the main pages read their team's rows, not whole tables (issue 13)

- household (team_id, referent_id) replaces (team_id): a worker's households and their count
  (Aujourd'hui), the dashboard's caseload and the unassigned households are read from the index
  alone instead of every row of the team, scattered among the other teams' rows.
- alert (user_id, state, team_id) replaces (user_id, state): "my alerts" filter on all three;
  with two two-column indexes SQLite (no statistics) took the team's and read all its alerts.
- alert (team_id, state, urgency, snoozed_until) replaces (team_id, state): the dashboard's
  open alerts per urgency are counted from the index alone.
- visit ix_visit_team_day_status_place gains the id: PostgreSQL joins a team's visits of the
  month to visit_worker (the dashboard's caseload) from the index alone, without reading the
  visits scattered in the table (SQLite indexes carry the rowid already).

The counts these serve are written count(*), so PostgreSQL can use index-only scans.

Revision ID: 0017_page_indexes
Revises: 0016_privacy
Create Date: 2026-11-23 11:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_page_indexes'
down_revision = '0016_privacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_household_team_referent', 'household', ['team_id', 'referent_id'],
                    unique=False)
    op.drop_index('ix_household_team_id', table_name='household')
    op.create_index('ix_alert_user_state_team', 'alert', ['user_id', 'state', 'team_id'],
                    unique=False)
    op.drop_index('ix_alert_user_state', table_name='alert')
    op.create_index('ix_alert_team_state_urgency', 'alert',
                    ['team_id', 'state', 'urgency', 'snoozed_until'], unique=False)
    op.drop_index('ix_alert_team_state', table_name='alert')
    op.drop_index('ix_visit_team_day_status_place', table_name='visit')
    op.create_index('ix_visit_team_day_status_place', 'visit',
                    ['team_id', 'day', 'status', 'place', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_visit_team_day_status_place', table_name='visit')
    op.create_index('ix_visit_team_day_status_place', 'visit',
                    ['team_id', 'day', 'status', 'place'], unique=False)
    op.create_index('ix_alert_team_state', 'alert', ['team_id', 'state'], unique=False)
    op.drop_index('ix_alert_team_state_urgency', table_name='alert')
    op.create_index('ix_alert_user_state', 'alert', ['user_id', 'state'], unique=False)
    op.drop_index('ix_alert_user_state_team', table_name='alert')
    op.create_index('ix_household_team_id', 'household', ['team_id'], unique=False)
    op.drop_index('ix_household_team_referent', table_name='household')
