"""Coordinator pages: the dashboard, the indicators of a period, the lists behind the figures,
the admission commission, and the exports (CSV, XLSX, PDF summary)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, make_response, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required
from app.dashboard import pdf, queries as q, tables
from app.dashboard.forms import FilterForm
from app.extensions import db
from app.htmx import render
from app.households.vocab import DESTINATIONS, RIGHT_KINDS
from app.measures.rules import PHASES
from app.nav import NavItem, register
from app.permanences.vocab import ORIENTATION_OUTCOMES, PARTNER_KINDS
from app.programmes import LEAD_ROLES, PROGRAMMES
from app.timeutil import today_paris
from app.visits.models import PLACES

bp = Blueprint("dashboard", __name__, url_prefix="/tableau-de-bord")

register(NavItem("Tableau de bord", "dashboard.index", "today", order=25, roles=LEAD_ROLES,
                 blueprints=("dashboard",), phone=False))

PAGES = ("tableau", "indicateurs", "commission")
LISTS = {"suivis": "Ménages accompagnés", "entrees": "Entrées", "sorties": "Sorties",
         "visites": "Visites", "droits": "Droits", "mesures": "Mesures ASLL",
         "orientations": "Orientations en permanence", "fins-de-contrat":
         "Contrats finissant dans les 60 jours", "impayes": "Contrats en impayé",
         "menages": "Ménages par référent·e"}
#: Lists of today's state, not of a period (no dates to choose).
UNDATED = ("mesures", "fins-de-contrat", "impayes", "menages")


@bp.before_request
@role_required(*LEAD_ROLES)
def coordinators_only():
    """Coordinators only; others get 403 (audited)."""
    return None


def _filters(default: str = "year"):
    """The filter form read from the query string, the scope and the period it gives."""
    form = FilterForm(formdata=request.args)
    form.validate()
    team_id = int(form.equipe.data) if form.equipe.data and str(form.equipe.data).isdigit() \
        else None
    programme = form.dispositif.data if form.dispositif.data in PROGRAMMES else None
    scope = q.scope_for(current_user, team_id, programme)
    form.fill(scope)
    today = today_paris()
    period = form.period(today, default)
    if not form.errors:  # show the dates in use, so the person sees what is counted
        form.debut.data = form.debut.data or period.start
        form.fin.data = form.fin.data or period.end
    return form, scope, period, today


def _status(form) -> int:
    return 422 if form.errors else 200


def _query_args(scope, period=None) -> dict:
    out = {}
    if scope.team is not None:
        out["equipe"] = scope.team.id
    elif scope.programme:
        out["dispositif"] = scope.programme
    if period is not None:
        out.update(debut=period.start.isoformat(), fin=period.end.isoformat())
    return out


def _audit(action: str, scope, **detail) -> None:
    record(action, actor=current_user, team_id=scope.team.id if scope.team else None,
           detail={"teams": sorted(scope.ids), **detail})
    db.session.commit()


@bp.route("/")
def index():
    """The team at a glance: alerts, caseload, flats, leases ending, measures, visits of the
    week, next permanences, admissions; per team and in total for people in several teams."""
    form, scope, _, today = _filters()
    page_tables = tables.dashboard_tables(scope, today, defer_owed=True)
    _audit("dashboard.view", scope)
    body, status = render("dashboard/index.html", "content", form=form, scope=scope,
                          tables=page_tables, today=today, args=_query_args(scope),
                          page="tableau")
    return body, _status(form) if status == 200 else status


@bp.route("/impayes-en-cours")
def owed():
    """The dashboard's arrears card (contracts in arrears today, what they owe), which the
    dashboard loads once it is shown; a page of its own without JavaScript."""
    form, scope, _, today = _filters()
    if form.errors:
        abort(400)
    table = tables.arrears_today_table(scope, today)
    _audit("dashboard.view", scope, part="impayes")
    body, status = render("dashboard/owed.html", "card", scope=scope, t=table, today=today,
                          args=_query_args(scope), page="tableau")
    return body, status


@bp.route("/indicateurs")
def indicators():
    """The figures funders ask for over a period and a programme, with charts."""
    form, scope, period, today = _filters()
    page_tables = tables.indicator_tables(scope, period, today)
    _audit("dashboard.indicators", scope, start=period.start.isoformat(),
           end=period.end.isoformat())
    body, status = render("dashboard/indicators.html", "content", form=form, scope=scope,
                          period=period, tables=page_tables, today=today,
                          args=_query_args(scope, period), page="indicateurs",
                          presets=_presets(today), scope_args=_query_args(scope))
    return body, _status(form) if status == 200 else status


def _presets(today: date) -> list[tuple[str, date, date]]:
    """Quick periods: this year so far, last year, this month, last month."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [(f"Année {today.year}", date(today.year, 1, 1), today),
            (f"Année {today.year - 1}", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
            (q.month_label(today).capitalize(), today.replace(day=1), today),
            (q.month_label(last_month_end).capitalize(), last_month_end.replace(day=1),
             last_month_end)]


@bp.route("/commission")
def commission():
    """The admission commission: open candidatures, decisions of the period, each place."""
    form, scope, period, today = _filters()
    page_tables = tables.commission_tables(scope, period, today)
    counts = q.decisions_count(scope.ids, period)
    _audit("dashboard.commission", scope, start=period.start.isoformat(),
           end=period.end.isoformat())
    body, status = render("dashboard/commission.html", "content", form=form, scope=scope,
                          period=period, tables=page_tables, counts=counts, today=today,
                          args=_query_args(scope, period), page="commission")
    return body, _status(form) if status == 200 else status


def _page_tables(page: str, scope, period, today) -> list:
    if page == "tableau":
        return tables.dashboard_tables(scope, today)
    if page == "indicateurs":
        return tables.indicator_tables(scope, period, today)
    return tables.commission_tables(scope, period, today)


@bp.route("/export/<page>/<key>.<fmt>")
def export(page: str, key: str, fmt: str):
    """One table (or, in XLSX, every table of the page: key 'tout') as CSV or XLSX."""
    if page not in PAGES or fmt not in ("csv", "xlsx"):
        abort(404)
    form, scope, period, today = _filters()
    if form.errors:
        abort(400)
    found = _page_tables(page, scope, period, today)
    if key != "tout":
        found = [t for t in found if t.key == key]
    if not found or (fmt == "csv" and len(found) != 1):
        abort(404)
    heading = f"{scope.label} — " + (f"au {q.fr_day(today)}" if page == "tableau"
                                     else f"période {period.label}")
    name = f"terrain-{page}-{key}-{(today if page == 'tableau' else period.end).isoformat()}"
    if fmt == "csv":
        data, mime = tables.to_csv(found[0]), "text/csv; charset=utf-8"
    else:
        data = tables.to_xlsx(found, heading)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    _audit("dashboard.export", scope, page=page, table=key, format=fmt,
           start=period.start.isoformat(), end=period.end.isoformat())
    response = make_response(data)
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/indicateurs/synthese.pdf")
def summary():
    """The activity summary of the period as a French PDF, for the annual report."""
    form, scope, period, today = _filters()
    if form.errors:
        abort(400)
    page_tables = [t for t in tables.indicator_tables(scope, period, today) if t.rows]
    facts = tables.summary_facts(scope, period, today)
    data = pdf.summary_pdf(scope, period, page_tables, facts, today)
    _audit("dashboard.export", scope, page="indicateurs", table="synthese", format="pdf",
           start=period.start.isoformat(), end=period.end.isoformat())
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{pdf.summary_filename(scope, period)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/liste/<kind>")
def listing(kind: str):
    """The rows behind a figure (households, visits, rights, measures, orientations)."""
    if kind not in LISTS:
        abort(404)
    form, scope, period, today = _filters("week" if kind == "visites" else "year")
    a = request.args
    table = _list_table(kind, scope, period, today, a)
    _audit("dashboard.list", scope, list=kind, start=period.start.isoformat(),
           end=period.end.isoformat())
    filters = _list_filters(kind, a, scope)
    body, status = render("dashboard/list.html", "content", form=form, scope=scope,
                          period=period, table=table, kind=kind, title=LISTS[kind],
                          dated=kind not in UNDATED,
                          filters=filters, args=_query_args(scope, period), today=today,
                          limit=q.LIST_LIMIT, page="liste",
                          hidden={k: v for k, v in a.items()
                                  if k not in ("equipe", "dispositif", "debut", "fin")})
    return body, _status(form) if status == 200 else status


def _worker(a) -> tuple[int | None, bool]:
    """The `intervenant` asked for: a user id, or 'aucun' (nobody of the teams)."""
    value = a.get("intervenant", "")
    return (int(value) if value.isdigit() else None), value == "aucun"


def _list_filters(kind: str, a, scope) -> list[str]:
    out = []
    worker, unassigned = _worker(a)
    if unassigned and kind in ("menages", "mesures"):
        out.append("Sans référent·e")
    elif worker:
        name = q.worker_name(scope.ids, worker) or "personne hors de ces équipes"
        out.append(f"{'Référent·e' if kind == 'menages' else 'Intervenant·e'} : {name}")
    if a.get("programme") in PROGRAMMES:
        out.append(PROGRAMMES[a["programme"]])
    if a.get("etat") in q.VISIT_STATES:
        out.append(q.VISIT_STATES[a["etat"]])
    if a.get("lieu") in PLACES:
        out.append(PLACES[a["lieu"]])
    if a.get("destination"):
        out.append(DESTINATIONS.get(a["destination"], "Destination non renseignée"))
    if a.get("droit") in RIGHT_KINDS:
        out.append(RIGHT_KINDS[a["droit"]])
    if a.get("phase") in PHASES:
        out.append(PHASES[a["phase"]])
    if a.get("type") in PARTNER_KINDS:
        out.append(PARTNER_KINDS[a["type"]])
    return out


def _list_table(kind, scope, period, today, a) -> tables.Table:
    C = tables.Cell
    if kind in ("suivis", "entrees", "sorties"):
        programme = a.get("programme") if a.get("programme") in PROGRAMMES else None
        rows = q.list_enrolments(scope.ids, period, kind, a.get("destination"), programme)
        t = tables.Table(kind, LISTS[kind], ["Ménage", "Dispositif", "Équipe", "Entrée",
                                             "Sortie", "Destination"])
        for e, name in rows:
            t.rows.append([C(name, url_for("households.show", household_id=e.household_id)),
                           C(PROGRAMMES.get(e.programme, e.programme)), C(e.team.name),
                           C(e.entry_date), C(e.exit_date), C(e.destination_label or None)])
        return t
    if kind == "visites":
        state = a.get("etat") if a.get("etat") in q.VISIT_STATES else None
        place = a.get("lieu") if a.get("lieu") in PLACES else None
        worker = a.get("intervenant", type=int)
        t = tables.Table(kind, "Visites", ["Jour", "Ménage", "Lieu", "Objet", "État",
                                           "Intervenant·es"])
        for v in q.list_visits(scope.ids, period, today, state, place, worker):
            missing = v.status == "prevue" and v.day < today
            href = url_for("visits.report_form", visit_id=v.id) if missing \
                else url_for("visits.show", visit_id=v.id)
            t.rows.append([C(v.day, href), C(v.household.name), C(v.place_label), C(v.purpose),
                           C("Compte rendu manquant" if missing else v.status_label),
                           C(", ".join(w.display_name for w in v.workers))])
        return t
    if kind == "droits":
        kind_ = a.get("droit") if a.get("droit") in RIGHT_KINDS else None
        t = tables.Table(kind, "Droits", ["Ménage", "Droit", "Statut", "Déposé le",
                                          "Décision le"])
        for r, name in q.list_rights(scope.ids, period, kind_, a.get("quoi")):
            t.rows.append([C(name, url_for("households.rights", household_id=r.household_id)),
                           C(r.kind_label), C(r.status_label), C(r.filed_on),
                           C(r.decided_on)])
        return t
    if kind == "mesures":
        phase = a.get("phase") if a.get("phase") in PHASES else None
        t = tables.Table(kind, "Mesures ASLL", ["Ménage", "Référence", "Financeur",
                                                "Notifiée le", "Intervenant·e"])
        for m in q.list_measures(scope.ids, today, phase, *_worker(a)):
            t.rows.append([C(m.household.name, url_for("measures.show", measure_id=m.id)),
                           C(m.reference), C(m.funder_label), C(m.notified_on),
                           C(m.worker.display_name if m.worker else "Non attribuée")])
        return t
    if kind == "orientations":
        type_ = a.get("type") if a.get("type") in PARTNER_KINDS else None
        t = tables.Table(kind, "Orientations", ["Séance", "Type", "Précision", "Suite"])
        for o, s in q.list_orientations(scope.ids, period, type_):
            t.rows.append([C(s.day, url_for("permanences.session", session_id=s.id)),
                           C(PARTNER_KINDS.get(o.kind, o.kind)), C(o.detail or ""),
                           C(ORIENTATION_OUTCOMES.get(o.outcome, o.outcome))])
        return t
    if kind == "menages":
        t = tables.Table(kind, LISTS[kind], ["Ménage", "Équipe", "Référent·e"])
        for h in q.list_households(scope.ids, *_worker(a)):
            t.rows.append([C(h.name, url_for("households.show", household_id=h.id)),
                           C(h.team.name),
                           C(h.referent.display_name if h.referent else "Aucun·e")])
        return t
    if kind == "impayes":
        t = tables.Table(kind, LISTS[kind], ["Ménage", "Logement", "Équipe",
                                             "En impayé depuis le", "Montant dû"], total=True)
        rows = q.list_arrears(scope.ids, today)
        for c, since, owed in rows:
            t.rows.append([C(c.household.name, url_for("housing.contract", contract_id=c.id)),
                           C(c.unit_label), C(c.team.name), C(since), C(owed, kind="money")])
        if rows:
            t.rows.append([C("Total"), C(""), C(""), C(""),
                           C(sum(owed for _, _, owed in rows), kind="money")])
        return t
    return tables.endings_table(scope, today)
