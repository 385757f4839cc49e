"""Indexes the dashboard's aggregates need on other features' tables (no table of its own).

Declared here, on the existing tables, so that `create_all` and the migrations build the same
schema; migration 0013_dashboard creates them.
"""
from sqlalchemy import Index

from app.households.models import Enrolment
from app.visits.models import Visit, VisitReport

#: Covers every count of visits by team, day, status and place: the indicators read it without
#: touching the table, and GROUP BY team, day, status, place streams in index order. The id
#: (already in every SQLite index) lets PostgreSQL join a team's visits of the month to their
#: workers (the caseload) from the index alone (migration 0017_page_indexes).
visit_counts = Index("ix_visit_team_day_status_place", Visit.team_id, Visit.day, Visit.status,
                     Visit.place, Visit.id)

#: The few reports that note an orientation (a partial index, on both databases).
report_orientation = Index("ix_visit_report_orientation", VisitReport.visit_id,
                           sqlite_where=VisitReport.orientation.is_not(None),
                           postgresql_where=VisitReport.orientation.is_not(None))

#: Covers the indicators' reads of supports (followed, entries, exits, destinations, lengths).
enrolment_counts = Index("ix_enrolment_team_dates", Enrolment.team_id, Enrolment.entry_date,
                         Enrolment.exit_date, Enrolment.programme, Enrolment.household_id,
                         Enrolment.exit_destination)
