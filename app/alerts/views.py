"""The alert centre, actions on an alert, notification settings and team lead times."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_login import current_user, login_required

from app.alerts import push, queries, services
from app.alerts.forms import AssignForm, PreferencesForm, SnoozeForm, lead_form
from app.alerts.models import STATES, URGENCIES
from app.alerts.rules import RULES, settable
from app.audit.services import record
from app.auth.scoping import get_scoped_or_404, role_required
from app.extensions import db
from app.forms import choices
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES, PROGRAMMES
from app.timeutil import today_paris, utcnow

bp = Blueprint("alerts", __name__, url_prefix="/alertes")

register(NavItem("Alertes", "alerts.index", "alerts", order=30,
                 roles=("volunteer", *CASE_ROLES), blueprints=("alerts",)))

SHOWS = {"open": "À traiter", "snoozed": "Reportées", "ack": "Vues", "resolved": "Résolues"}


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _here(show: str, team_view: bool, filters: dict) -> dict:
    """The query string of the list being shown, for its page links."""
    if not team_view:
        return {"voir": show}
    return {"voir": show, "vue": "equipe", "equipe": filters["team_id"],
            "dispositif": filters["programme"], "personne": filters["worker_id"],
            "urgence": filters["urgency"]}


@bp.route("/")
@login_required
def index():
    """My alerts by urgency; a coordinator may switch to the whole team's, with filters."""
    today = today_paris()
    show = request.args.get("voir", "open")
    show = show if show in SHOWS else "open"
    teams = queries.lead_teams(current_user)
    team_view = bool(teams) and request.args.get("vue") == "equipe"
    filters = {"team_id": _int("equipe"), "programme": request.args.get("dispositif") or None,
               "worker_id": _int("personne"), "urgency": request.args.get("urgence") or None}
    if filters["programme"] not in PROGRAMMES:
        filters["programme"] = None
    if filters["urgency"] not in URGENCIES:
        filters["urgency"] = None
    number = max(_int("page") or 1, 1)
    offset = (number - 1) * queries.PAGE_SIZE
    if team_view:
        alerts, total = queries.team_alerts(current_user, today, show, offset=offset, **filters)
    else:
        alerts, total = queries.my_alerts(current_user, today, show, offset=offset)
    programmes = {t.programme: PROGRAMMES.get(t.programme, t.programme) for t in teams}
    pages = max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1)
    if number > pages:  # an old link after alerts were settled: the last page there is
        return redirect(url_for("alerts.index", page=pages, **_here(show, team_view, filters)))
    here = _here(show, team_view, filters)
    page = render_template("alerts/index.html", alerts=alerts, total=total, number=number,
                           pages=pages, first=offset + 1, here=here, show=show, shows=SHOWS,
                           team_view=team_view, teams=teams, filters=filters,
                           programmes=programmes, workers=queries.workers_of(teams),
                           today=today, link=queries.link, states=STATES,
                           urgencies={k: v[1] for k, v in URGENCIES.items()})
    # Recorded after rendering: a commit expires the loaded alerts, and the template would
    # then reload them one query each (a query per alert shown).
    record("alerts.view", actor=current_user, detail={"team": team_view, "show": show,
                                                      "page": number})
    db.session.commit()
    return page


def _back():
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/alertes") else url_for("alerts.index"))


@bp.route("/<int:alert_id>/vu", methods=["POST"])
@login_required
def acknowledge(alert_id: int):
    """Mark an alert as seen."""
    alert = queries.alert_or_404(current_user, alert_id)
    try:
        services.acknowledge(alert, current_user, utcnow())
        flash("Alerte marquée comme vue : plus de rappel avant la prochaine étape.", "success")
    except services.AlertError as exc:
        flash(str(exc), "error")
    return _back()


@bp.route("/<int:alert_id>/rouvrir", methods=["POST"])
@login_required
def reopen(alert_id: int):
    """Put an alert back in the list."""
    alert = queries.alert_or_404(current_user, alert_id)
    try:
        services.reopen(alert, current_user, utcnow())
        flash("Alerte remise dans la liste.", "success")
    except services.AlertError as exc:
        flash(str(exc), "error")
    return _back()


@bp.route("/<int:alert_id>/reporter", methods=["GET", "POST"])
@login_required
def snooze(alert_id: int):
    """Hide an alert until a chosen day."""
    alert = queries.alert_or_404(current_user, alert_id)
    form = SnoozeForm()
    error = None
    if form.validate_on_submit():
        try:
            services.snooze(alert, form.until.data, current_user, utcnow())
            flash("Alerte reportée.", "success")
            return redirect(url_for("alerts.index"))
        except services.AlertError as exc:
            form.until.errors = [str(exc)]
    status = 422 if request.method == "POST" else 200
    return render_template("alerts/snooze.html", alert=alert, form=form, error=error,
                           link=queries.link), status


@bp.route("/<int:alert_id>/confier", methods=["GET", "POST"])
@login_required
@role_required(*CASE_ROLES)
def assign(alert_id: int):
    """Give an alert to a colleague of its team."""
    alert = queries.alert_or_404(current_user, alert_id)
    people = queries.colleagues(alert.team_id)
    form = AssignForm()
    form.user_id.choices = choices([(i, n) for i, n in people])
    if request.method == "GET" and alert.user_id:
        form.user_id.data = alert.user_id
    if form.validate_on_submit():
        try:
            services.assign(alert, form.user_id.data, current_user, utcnow(),
                            [i for i, _ in people])
            flash("Alerte confiée.", "success")
            return redirect(url_for("alerts.index"))
        except services.AlertError as exc:
            form.user_id.errors = [str(exc)]
    status = 422 if request.method == "POST" else 200
    return render_template("alerts/assign.html", alert=alert, form=form,
                           link=queries.link), status


# -- Notifications ---------------------------------------------------------------------------


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def settings():
    """This device's push subscription, a test, preferences per kind, quiet hours, digest."""
    pref = services.preference(current_user.id)
    form = PreferencesForm()
    form.kinds.choices = choices([(c, r.label) for c, r in RULES.items()])
    if request.method == "GET":
        form.kinds.data = [c for c in RULES if c not in (pref.muted_rules or [])]
        form.quiet_start.data, form.quiet_end.data = pref.quiet_start, pref.quiet_end
        form.digest.data, form.digest_at.data = pref.digest, pref.digest_at
    if form.validate_on_submit():
        kept = form.kinds.data or []  # nothing ticked: every kind muted
        services.save_preferences(current_user, [c for c in RULES if c not in kept],
                                  form.quiet_start.data, form.quiet_end.data, form.digest.data,
                                  form.digest_at.data)
        flash("Préférences enregistrées.", "success")
        return redirect(url_for("alerts.settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("alerts/settings.html", form=form, devices=queries.devices(current_user),
                           public_key=push.public_key(), teams=queries.lead_teams(current_user)
                           ), status


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


def _allow_http_push() -> bool:
    """Plain-http push services (a loopback test service) only in tests, debug, or when
    PUSH_ALLOW_HTTP says so; production requires https."""
    return bool(current_app.testing or current_app.debug
                or current_app.config.get("PUSH_ALLOW_HTTP"))


@bp.route("/push/abonnement", methods=["POST"])
@login_required
def subscribe():
    """Record this device's push subscription (JSON from static/js/alerts.js)."""
    data = _json_body()
    keys = data.get("keys")
    if not isinstance(keys, dict):
        return jsonify(status="invalid", error="Abonnement invalide : clés manquantes."), 422
    try:
        services.subscribe(current_user, str(data.get("endpoint") or ""),
                           str(keys.get("p256dh") or ""), str(keys.get("auth") or ""),
                           str(data.get("device") or ""), utcnow(),
                           allow_http=_allow_http_push())
    except services.AlertError as exc:
        return jsonify(status="invalid", error=str(exc)), 422
    return jsonify(status="ok"), 201


@bp.route("/push/desabonnement", methods=["POST"])
@login_required
def unsubscribe():
    """Forget this device's push subscription."""
    data = _json_body()
    services.unsubscribe(current_user, str(data.get("endpoint") or ""))
    return jsonify(status="ok")


@bp.route("/push/test", methods=["POST"])
@login_required
def test_push():
    """Send a test notification to each of my devices."""
    reached, gone = services.send_test(current_user, utcnow())
    if reached:
        flash(f"Notification d'essai envoyée à {reached} appareil{'s' if reached > 1 else ''}.",
              "success")
    else:
        flash("Aucun appareil n'a pu être joint : activez les notifications sur cet appareil.",
              "error")
    return redirect(url_for("alerts.settings"))


@bp.route("/delais/<int:team_id>", methods=["GET", "POST"])
@login_required
@role_required(*LEAD_ROLES)
def leads(team_id: int):
    """A coordinator sets the team's lead time for each rule."""
    from app.auth.models import Team

    team = get_scoped_or_404(Team, team_id, current_user, LEAD_ROLES, team_attr="id")
    shown = settable(team.programme)  # the team's programme's rules, those with a lead time
    form = lead_form(shown, queries.leads_of(team.id))()
    if form.validate_on_submit():
        try:
            services.save_leads(current_user, team.id,
                                {c: getattr(form, f"lead_{c}").data for c in shown}, utcnow())
            flash("Délais enregistrés.", "success")
            return redirect(url_for("alerts.leads", team_id=team.id))
        except services.AlertError as exc:
            flash(str(exc), "error")
    status = 422 if request.method == "POST" else 200
    fields = [(getattr(form, f"lead_{c}"), r) for c, r in shown.items()]
    return render_template("alerts/leads.html", team=team, form=form, fields=fields), status
