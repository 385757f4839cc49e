"""Household pages. The foundation lists them; the case-file issue adds the file itself."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required
from app.extensions import db
from app.households import queries
from app.nav import NavItem, register
from app.programmes import CASE_ROLES

bp = Blueprint("households", __name__, url_prefix="/menages")

register(NavItem("Ménages", "households.index", "households", order=20, roles=CASE_ROLES,
                 blueprints=("households",)))


@bp.route("/")
@role_required(*CASE_ROLES)
def index():
    """The households of my teams, mine first, paginated."""
    per_page = current_app.config["PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = queries.page_of_households(current_user, page, per_page)
    record("household.list", actor=current_user, detail={"page": page})
    db.session.commit()
    return render_template("households/index.html", rows=rows, total=total, page=page,
                           pages=max((total + per_page - 1) // per_page, 1))
