"""Home ("Aujourd'hui"), the "Plus" page and the health check."""
from flask import Blueprint, jsonify, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.core import queries
from app.extensions import db
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("core", __name__)

register(NavItem("Aujourd'hui", "core.home", "today", order=10))
register(NavItem("Plus", "core.more", "more", order=90, blueprints=("admin",)))


@bp.route("/")
@login_required
def home():
    """Today's page: what this person needs first, by role."""
    user = current_user
    ctx = {"today": today_paris()}
    if user.has_role(*CASE_ROLES):
        from app.visits import queries as visits

        today = ctx["today"]
        ctx["visits_today"], ctx["visits_week"] = visits.today_and_week(user, today)
        ctx["waiting_reports"] = visits.waiting_reports(user, today)
        ctx["conflicts"] = visits.open_conflicts(user)
        from app.logbook.queries import home_teams

        ctx["logbook_teams"] = home_teams(user)
        ctx["offline_urls"] = offline_urls(ctx["visits_today"] + ctx["visits_week"]
                                           + ctx["waiting_reports"], user,
                                           ctx["logbook_teams"])
        ctx["my_households"] = queries.my_households(user)
        ctx["my_households_count"] = queries.count_my_households(user)
    if user.has_role(*LEAD_ROLES):
        ctx["overview"] = queries.team_overview(user)
    if user.has_role("volunteer"):
        ctx["coordinators"] = queries.coordinators_of(user)
    if user.has_role("volunteer", *CASE_ROLES):  # permanences: shifts, calls, today's queue
        from app.permanences.queries import home_for

        ctx["perm_home"] = home_for(user, utcnow())
    if user.is_admin:
        ctx["admin_counts"] = queries.admin_counts(utcnow())
    return render_template("core/home.html", **ctx)


def offline_urls(visits, user, logbook_teams) -> list[str]:
    """The pages a worker needs offline: each coming visit, its report form, its household's
    summary, the unsigned états des lieux of the worker's teams with their signature page, and
    the logbook entry forms the page links to."""
    from app.inventories.queries import open_inventory_ids

    urls = [url_for("core.home")]
    for v in visits:
        urls += [url_for("visits.show", visit_id=v.id),
                 url_for("visits.report_form", visit_id=v.id),
                 url_for("households.show", household_id=v.household_id)]
    for inventory_id in open_inventory_ids(user):
        urls += [url_for("inventories.show", inventory_id=inventory_id),
                 url_for("inventories.sign", inventory_id=inventory_id)]
    # A logbook entry can be written anywhere: the entry forms "Aujourd'hui" links to.
    urls += [url_for("logbook.new", team_id=t.id) for t in logbook_teams]
    return list(dict.fromkeys(urls))


@bp.route("/plus")
@login_required
def more():
    """My account, my teams, administration links, sign-out."""
    return render_template("core/more.html")


@bp.route("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
