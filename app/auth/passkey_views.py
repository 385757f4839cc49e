"""Passkey pages: my passkeys, the compulsory enrolment page, sign-in with a passkey."""
from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required

from app.auth import passkeys, wants_json
from app.auth.forms import LoginForm, PasskeyForm
from app.auth.sessions import start_session
from app.auth.views import safe_next
from app.timeutil import utcnow

bp = Blueprint("passkeys", __name__)

#: Endpoints a person obliged to enrol may still reach (the rest redirects to enrolment).
ENROL_ENDPOINTS = {"passkeys.required", "passkeys.registration_options", "auth.logout",
                   "core.healthz", "static"}


@bp.before_app_request
def enforce_policy():
    """Send coordinators and admins who must have a passkey to the enrolment page first."""
    if (request.endpoint is None or request.endpoint in ENROL_ENDPOINTS
            or request.blueprint == "pwa" or not current_user.is_authenticated
            or not passkeys.must_enroll(current_user)):
        return None
    target = url_for("passkeys.required")
    if request.headers.get("HX-Request") == "true":
        return "", 204, {"HX-Redirect": target}
    if wants_json():
        return jsonify(error="Créez d'abord votre clé d'accès.", redirect=target), 403
    return redirect(target, 303)


def _register(template: str, done_url: str, **ctx):
    """Shared by the two registration pages: validate, verify, keep, or re-render with errors."""
    form = PasskeyForm()
    error = None
    if form.validate_on_submit():
        try:
            passkey = passkeys.register(current_user, form.name.data, form.credential.data,
                                        now=utcnow())
        except passkeys.PasskeyError as exc:
            if exc.reason == "name":
                form.name.errors = [str(exc)]
            else:
                error = str(exc)
        else:
            flash(f"Clé d'accès « {passkey.name} » enregistrée. La prochaine fois, connectez-vous "
                  "avec elle.", "success")
            return redirect(done_url)
    form.credential.data = ""  # a spent response is never sent twice
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, error=error,
                           passkeys=passkeys.passkeys_of(current_user), **ctx), status


@bp.route("/compte/cles-d-acces", methods=["GET", "POST"])
@login_required
def manage():
    """My passkeys: the list, adding one, removing one."""
    return _register("auth/passkeys.html", url_for("passkeys.manage"),
                     required=passkeys.passkey_required(current_user))


@bp.route("/compte/cle-obligatoire", methods=["GET", "POST"])
@login_required
def required():
    """The page a person under the passkey rule sees until they have made one."""
    if request.method == "GET" and not passkeys.must_enroll(current_user):
        return redirect(url_for("core.home"))
    return _register("auth/passkey_required.html", url_for("core.home"))


@bp.route("/compte/cles-d-acces/options", methods=["POST"])
@login_required
def registration_options():
    """Registration options for the browser (JSON), once the name is acceptable."""
    try:
        options = passkeys.registration_options(current_user, request.form.get("name", ""),
                                                now=utcnow())
    except passkeys.PasskeyError as exc:
        return jsonify(error=str(exc), field="name" if exc.reason == "name" else None), 422
    return jsonify(options)


@bp.route("/compte/cles-d-acces/<int:passkey_id>/supprimer", methods=["POST"])
@login_required
def remove(passkey_id: int):
    """Remove one of my passkeys."""
    try:
        name = passkeys.remove(current_user, passkey_id, now=utcnow())
    except passkeys.PasskeyError as exc:
        if exc.reason == "unknown":
            abort(404)
        flash(str(exc), "error")
    else:
        flash(f"Clé d'accès « {name} » supprimée : elle ne permet plus de se connecter.",
              "success")
    return redirect(url_for("passkeys.manage"))


@bp.route("/connexion/cle/options", methods=["POST"])
def login_options():
    """Sign-in options for the browser (JSON): any passkey of this site."""
    try:
        return jsonify(passkeys.authentication_options(now=utcnow()))
    except passkeys.PasskeyError as exc:
        return jsonify(error=str(exc)), 400


@bp.route("/connexion/cle", methods=["GET", "POST"])
def login():
    """Sign in with the browser's passkey response; on refusal, the sign-in page says why."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    if request.method == "GET":  # a reload of the refusal page: back to the sign-in page
        return redirect(url_for("auth.login", next=safe_next(request.args.get("next"))))
    try:
        user = passkeys.authenticate(request.form.get("credential"), now=utcnow())
    except passkeys.PasskeyError as exc:
        # A passkey deleted here (removed, reset) is still offered by the phone: the page asks
        # the browser to forget it (WebAuthn Signal API, where supported).
        forget = None
        if exc.unknown_credential:
            forget = {"rp_id": passkeys.relying_party()[0], "id": exc.unknown_credential}
        return render_template("auth/login.html", form=LoginForm(formdata=None), error=str(exc),
                               notice=None, forget_passkey=forget), 401
    start_session(user)
    return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
