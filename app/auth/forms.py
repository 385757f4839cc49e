"""Forms of the sign-in, invitation and account pages."""
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.forms import EmailAddress, Form, choices
from app.programmes import ROLES

REQUIRED = "Ce champ est obligatoire."


class LoginForm(Form):
    """E-mail and password."""

    email = EmailField("Adresse e-mail", validators=[InputRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[InputRequired(REQUIRED)])


class InvitationForm(Form):
    """Who to invite, into which team, with which role."""

    email = EmailField("Adresse e-mail", validators=[
        InputRequired(REQUIRED), EmailAddress(), Length(max=254)])
    team_id = SelectField("Équipe", coerce=int, validate_choice=True)
    role = SelectField("Rôle", choices=choices(ROLES))


class AcceptInvitationForm(Form):
    """The new person's name and password."""

    display_name = StringField("Prénom et nom", validators=[InputRequired(REQUIRED),
                                                            Length(max=120)])
    password = PasswordField("Mot de passe (12 caractères au moins)",
                             validators=[InputRequired(REQUIRED)])
    confirm = PasswordField("Confirmez le mot de passe", validators=[
        InputRequired(REQUIRED), EqualTo("password", "Les deux mots de passe diffèrent.")])


class PasswordChangeForm(Form):
    """Current and new password."""

    current = PasswordField("Mot de passe actuel", validators=[InputRequired(REQUIRED)])
    new = PasswordField("Nouveau mot de passe (12 caractères au moins)",
                        validators=[InputRequired(REQUIRED)])
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        InputRequired(REQUIRED), EqualTo("new", "Les deux mots de passe diffèrent.")])


class MembershipForm(Form):
    """A team and a role to give to an existing person."""

    team_id = SelectField("Équipe", coerce=int, validate_choice=True)
    role = SelectField("Rôle", choices=choices(ROLES))


class PasskeyForm(Form):
    """A name for a new passkey, and the browser's response once the device has made it."""

    name = StringField("Nom de la clé d'accès", validators=[
        InputRequired("Donnez un nom à cette clé d'accès, par exemple « Téléphone pro »."),
        Length(max=60, message="Le nom ne doit pas dépasser 60 caractères.")])
    credential = HiddenField()


class SecurityPolicyForm(Form):
    """The association-wide passkey rule."""

    passkey_required = BooleanField(
        "Exiger une clé d'accès pour les coordinateur·rices et les administrateur·rices")
