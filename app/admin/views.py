"""Administration pages: people, invitations, teams, audit journal. Admins only."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import queries
from app.audit.services import ACTION_LABELS, record
from app.auth import passkeys, services
from app.auth.forms import InvitationForm, MembershipForm, SecurityPolicyForm
from app.auth.models import Invitation, Membership, Team, User
from app.auth.scoping import role_required
from app.extensions import db
from app.forms import choices
from app.mail import mail_configured, send_mail
from app.programmes import ROLES
from app.timeutil import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def admins_only():
    """Every page here needs the admin role."""
    return None


@bp.route("/", methods=["GET", "POST"])
def users():
    """The list of accounts; a search by name is posted, never put in the URL."""
    q = request.form.get("q", "") if request.method == "POST" else ""
    return render_template("admin/users.html", users=queries.users(q), q=q)


@bp.route("/personnes/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    """One account: its teams and roles, activation."""
    person = db.session.get(User, user_id) or abort(404)
    form = MembershipForm()
    form.team_id.choices = choices(queries.team_choices())
    error = None
    if form.validate_on_submit():
        team = db.session.get(Team, form.team_id.data)
        try:
            services.add_membership(current_user, person, team, form.role.data, now=utcnow())
        except services.AccountError as exc:
            error = str(exc)
        else:
            flash(f"Rôle « {ROLES[form.role.data]} » donné à {person.display_name} "
                  f"dans {team.name}.", "success")
            return redirect(url_for("admin.user", user_id=person.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", person=person, form=form, error=error,
                           passkeys=passkeys.passkeys_of(person)), status


@bp.route("/personnes/<int:user_id>/activation", methods=["POST"])
def set_active(user_id: int):
    """Deactivate or reactivate an account."""
    person = db.session.get(User, user_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        services.set_active(current_user, person, active, now=utcnow())
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash("Compte réactivé." if active else
              "Compte désactivé : ses sessions ouvertes sont fermées.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/personnes/<int:user_id>/cles-d-acces/reinitialiser", methods=["POST"])
def reset_passkeys(user_id: int):
    """Lost phone: revoke all of a person's passkeys and end all their sessions."""
    person = db.session.get(User, user_id) or abort(404)
    try:
        removed = passkeys.reset(current_user, person, now=utcnow())
    except passkeys.PasskeyError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Clés d'accès de {person.display_name} révoquées ({removed}) et toutes ses "
              "sessions fermées : la personne se reconnecte avec son mot de passe.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/securite", methods=["GET", "POST"])
def security():
    """Association-wide account security: whether coordinators and admins need a passkey."""
    current = passkeys.policy()
    # An unticked box sends nothing: read the posted form even when it is empty.
    form = SecurityPolicyForm(
        formdata=request.form if request.method == "POST" else None,
        passkey_required=bool(current and current.passkey_required_for_leads))
    error = None
    if form.validate_on_submit():
        try:
            passkeys.set_policy(current_user, form.passkey_required.data, now=utcnow())
        except passkeys.PasskeyError as exc:
            error = str(exc)
        else:
            flash("Règle enregistrée : les coordinateur·rices et administrateur·rices sans clé "
                  "d'accès devront en créer une." if form.passkey_required.data else
                  "Règle enregistrée : la clé d'accès n'est plus obligatoire.", "success")
            return redirect(url_for("admin.security"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/security.html", form=form, error=error, policy=current,
                           missing=passkeys.leads_without_passkey()), status


@bp.route("/roles/<int:membership_id>/retirer", methods=["POST"])
def remove_membership(membership_id: int):
    """Take a person out of a team."""
    membership = db.session.get(Membership, membership_id) or abort(404)
    user_id = membership.user_id
    try:
        services.remove_membership(current_user, membership, now=utcnow())
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash("Rôle retiré.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


def _invitation_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for("auth.accept_invitation", token=token)
    return url_for("auth.accept_invitation", token=token, _external=True)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    """Invite someone, and see the invitations sent."""
    now = utcnow()
    form = InvitationForm()
    form.team_id.choices = choices(queries.team_choices())
    error = link = None
    mailed = False
    if form.validate_on_submit():
        team = db.session.get(Team, form.team_id.data)
        try:
            invitation, token = services.create_invitation(
                current_user, form.email.data, team, form.role.data, now=now)
        except services.AccountError as exc:
            error = str(exc)
        else:
            link = _invitation_link(token)
            if mail_configured():
                try:
                    send_mail(invitation.email, "Votre accès à Terrain", render_template(
                        "admin/invitation_mail.txt", invitation=invitation, link=link,
                        sender=current_user))
                    mailed = True
                except OSError as exc:  # smtplib errors are OSErrors
                    current_app.logger.warning("invitation mail failed: %s", exc)
                    error = ("L'invitation est créée mais le courriel n'a pas pu partir : "
                             "copiez le lien ci-dessous et transmettez-le.")
            form = InvitationForm(formdata=None)
            form.team_id.choices = choices(queries.team_choices())
    status = 422 if request.method == "POST" and not link else 200
    return render_template("admin/invitations.html", form=form, error=error, link=link,
                           mailed=mailed, invitations=queries.invitations(now), now=now,
                           mail_on=mail_configured()), status


@bp.route("/invitations/<int:invitation_id>/annuler", methods=["POST"])
def revoke_invitation(invitation_id: int):
    """Cancel a pending invitation."""
    invitation = db.session.get(Invitation, invitation_id) or abort(404)
    try:
        services.revoke_invitation(current_user, invitation, now=utcnow())
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash("Invitation annulée : le lien ne fonctionne plus.", "success")
    return redirect(url_for("admin.invitations"))


@bp.route("/equipes")
def teams():
    """Teams and who is in them."""
    return render_template("admin/teams.html", teams=queries.teams())


@bp.route("/journal")
def journal():
    """The audit journal, filterable by action and person."""
    page = max(request.args.get("page", 1, type=int), 1)
    action = request.args.get("action", "")
    actor_id = request.args.get("personne", type=int)
    household_id = request.args.get("menage", type=int)
    start, end = _day(request.args.get("du")), _day(request.args.get("au"))
    rows, has_more = queries.journal(page, 50, action, actor_id, household_id, start, end)
    record("audit.read", actor=current_user, detail={"page": page, "action": action or None,
                                                     "household": household_id})
    db.session.commit()
    args = {"action": action or None, "personne": actor_id, "menage": household_id,
            "du": start.isoformat() if start else None, "au": end.isoformat() if end else None}
    return render_template("admin/journal.html", rows=rows, page=page, has_more=has_more,
                           action=action, actor_id=actor_id, actions=ACTION_LABELS,
                           people=queries.users(), household_id=household_id, start=start,
                           end=end, args=args)


def _day(text: str | None):
    """A day typed in a filter (YYYY-MM-DD), or None."""
    from datetime import date

    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
