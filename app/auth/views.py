"""Sign in, sign out, accept an invitation, change one's password."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.auth import services
from app.auth.forms import AcceptInvitationForm, LoginForm, PasswordChangeForm
from app.auth.sessions import end_session, start_session
from app.audit.services import record
from app.extensions import db
from app.timeutil import utcnow

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """The sign-in page and its form."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, now=utcnow())
        if result.user:
            start_session(result.user)
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        error = result.error
    notice = None
    if session.pop("expired", None):
        notice = "Votre session a expiré. Reconnectez-vous : rien de ce qui était enregistré n'est perdu."
    elif hint := session.pop("login_hint", None):
        notice = hint
    status = 200 if request.method == "GET" else (401 if error else 422)
    return render_template("auth/login.html", form=form, error=error, notice=notice), status


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, with CSRF) and go back to the sign-in page."""
    record("auth.logout", actor=current_user)
    db.session.commit()
    end_session()
    session["login_hint"] = "Vous êtes déconnecté·e."
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Create one's account from an invitation link."""
    if current_user.is_authenticated:
        end_session()
    now = utcnow()
    try:
        invitation = services.find_invitation(token, now=now)
    except services.AccountError as exc:
        return render_template("auth/invitation_invalid.html", message=str(exc)), 410
    form = AcceptInvitationForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.display_name.data, form.password.data,
                                              now=now)
        except services.AccountError as exc:
            error = str(exc)
        else:
            start_session(user)
            flash("Bienvenue ! Votre compte est prêt.", "success")
            return redirect(url_for("core.home"))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/invitation.html", form=form, invitation=invitation,
                           error=error), status


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other devices are signed out."""
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data, now=utcnow())
        except services.AccountError as exc:
            error = str(exc)
        else:
            start_session(current_user._get_current_object())
            flash("Mot de passe changé. Vos autres appareils sont déconnectés.", "success")
            return redirect(url_for("core.more"))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/password.html", form=form, error=error), status

