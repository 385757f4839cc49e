"""Forms of the permanence. Empty text becomes None; every message is French."""
from __future__ import annotations

from wtforms import (BooleanField, DateField, HiddenField, IntegerField, MonthField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import (REQUIRED, EmailAddress, Form, blank_to_none, choices, int_or_none,
                       opt_choices, or_none, text)
from app.households.text import fold
from app.permanences import vocab


def long_text(label, max_length=4000, **kw):
    """A multi-line text field, optional."""
    return TextAreaField(label, filters=[blank_to_none], validators=[
        Optional(), Length(max=max_length, message=f"{max_length} caractères au plus.")], **kw)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (big targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Unknown values are dropped by the services; no error for an empty choice list."""
        if self.choices:
            super().pre_validate(form)


def parse_languages(raw: str | None) -> list[str]:
    """'arabe, Dari, arabe' -> ['arabe', 'dari', 'arabe'] (codes; unknown ones raise)."""
    by_name = {fold(label): code for code, label in vocab.LANGUAGES.items()}
    by_name.update({fold(code): code for code in vocab.LANGUAGES})
    out, unknown = [], []
    for part in (raw or "").replace(";", ",").split(","):
        word = fold(part)
        if not word:
            continue
        if word in by_name:
            out.append(by_name[word])
        else:
            unknown.append(part.strip())
    if unknown:
        raise ValidationError("Langue inconnue : " + ", ".join(unknown) + ".")
    return out


class NeedsFields(Form):
    """How many people of each role a session needs."""

    need_accueil = IntegerField("Accueil", default=0, validators=[
        Optional(), NumberRange(min=0, max=20, message="De 0 à 20.")],
        render_kw={"inputmode": "numeric"})
    need_entretien = IntegerField("Entretien social", default=0, validators=[
        Optional(), NumberRange(min=0, max=20, message="De 0 à 20.")],
        render_kw={"inputmode": "numeric"})
    need_medecin = IntegerField("Médecin", default=0, validators=[
        Optional(), NumberRange(min=0, max=20, message="De 0 à 20.")],
        render_kw={"inputmode": "numeric"})
    need_infirmier = IntegerField("Infirmier·e", default=0, validators=[
        Optional(), NumberRange(min=0, max=20, message="De 0 à 20.")],
        render_kw={"inputmode": "numeric"})
    need_interpretes = text("Interprètes (une langue par interprète)", 200)

    NEED_FIELDS = ("need_accueil", "need_entretien", "need_medecin", "need_infirmier",
                   "need_interpretes")

    def validate_need_interpretes(self, field):
        """Every language must be one the app knows."""
        parse_languages(field.data)

    def needs(self) -> list[tuple[str, str | None, int]]:
        """The needs typed, as (role, language, count)."""
        out = [(role, None, getattr(self, f"need_{role}").data or 0)
               for role in ("accueil", "entretien", "medecin", "infirmier")]
        for lang in parse_languages(self.need_interpretes.data):
            out.append(("interprete", lang, 1))
        return out

    def fill_needs(self, needs) -> None:
        """Show existing needs in the fields."""
        langs = []
        for need in needs:
            if need.role == "interprete":
                langs += [vocab.LANGUAGES.get(need.language, need.language)] * need.count
            elif hasattr(self, f"need_{need.role}"):
                getattr(self, f"need_{need.role}").data = need.count
        self.need_interpretes.data = ", ".join(langs) or None


class ScheduleForm(NeedsFields):
    """A recurring session."""

    team_id = SelectField("Équipe", coerce=int)
    weekday = SelectField("Jour", coerce=int, choices=choices(
        [(k, v.capitalize()) for k, v in vocab.WEEKDAYS.items()]))
    starts_at = TimeField("Début", validators=[InputRequired(REQUIRED)], format="%H:%M")
    ends_at = TimeField("Fin", validators=[InputRequired(REQUIRED)], format="%H:%M")
    place = text("Lieu", 200, required=True)
    valid_from = DateField("À partir du", validators=[InputRequired(REQUIRED)],
                           format="%Y-%m-%d")


class NeedsForm(NeedsFields):
    """Only the needs (of a schedule)."""


class SessionForm(NeedsFields):
    """An exceptional session."""

    team_id = SelectField("Équipe", coerce=int)
    day = DateField("Date", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    starts_at = TimeField("Début", validators=[InputRequired(REQUIRED)], format="%H:%M")
    ends_at = TimeField("Fin", validators=[InputRequired(REQUIRED)], format="%H:%M")
    place = text("Lieu", 200, required=True)


class SessionEditForm(NeedsFields):
    """One session's end and needs."""

    ends_at = TimeField("Fin", validators=[InputRequired(REQUIRED)], format="%H:%M")


class ReasonForm(Form):
    """Why (a cancellation)."""

    reason = text("Raison (montrée aux bénévoles)", 200, required=True)


class EndScheduleForm(Form):
    """The last day of a recurring session."""

    last_day = DateField("Dernier jour", validators=[InputRequired(REQUIRED)],
                         format="%Y-%m-%d")


class ClosureForm(Form):
    """A period without sessions."""

    team_id = SelectField("Équipe", coerce=int)
    start_on = DateField("Du", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    end_on = DateField("Au (inclus)", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    reason = text("Raison (montrée aux bénévoles)", 120, required=True)


class SettingsForm(Form):
    """A team's shift rules."""

    signup_weeks = IntegerField("Inscriptions ouvertes (semaines à l'avance)", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=26, message="Entre 1 et 26.")],
        render_kw={"inputmode": "numeric"})
    newcomer_shifts = IntegerField("Nouveau·elle jusqu'à (permanences faites)", validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=20, message="Entre 0 et 20.")],
        render_kw={"inputmode": "numeric"})
    opens_minutes_before = IntegerField(
        "Les bénévoles voient la file (minutes avant le début)", validators=[
            InputRequired(REQUIRED), NumberRange(min=0, max=180, message="Entre 0 et 180.")],
        render_kw={"inputmode": "numeric"})


class ProfileForm(Form):
    """What a member can do at the permanence."""

    roles = CheckboxesField("Rôles possibles", choices=choices(vocab.SESSION_ROLES))
    languages = CheckboxesField("Langues d'interprétariat",
                                choices=choices({k: v for k, v in vocab.LANGUAGES.items()
                                                 if k != "autre"}))
    experienced = BooleanField("Expérimenté·e (ne compte pas comme nouveau·elle)")


class SlotForm(Form):
    """A sign-up button: 'accueil' or 'interprete:arabe'."""

    slot = HiddenField()
    user_id = HiddenField()  #: a coordinator signing someone else up

    def role_language(self) -> tuple[str, str | None]:
        """The role and language posted."""
        role, _, language = (self.slot.data or "").partition(":")
        return role, language or None


class ArrivalForm(Form):
    """Someone arriving at the desk."""

    name = text("Alias ou prénom", 80, render_kw={"autocomplete": "off"})
    number = IntegerField("Numéro de carte (si la personne en a une)", validators=[
        Optional(), NumberRange(min=1, max=99999, message="Un numéro de 1 à 99999.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    language = SelectField("Langue", coerce=or_none, choices=opt_choices(vocab.LANGUAGES))
    interpreter_needed = BooleanField("Interprète nécessaire")
    reason = SelectField("Motif de venue", coerce=or_none,
                         choices=opt_choices(vocab.REASONS, "— choisir —"),
                         validators=[InputRequired("Choisissez le motif de venue.")])
    urgent = BooleanField("Urgent (à voir en priorité)")

    def validate_name(self, field):
        """An alias, or a card number."""
        if not field.data and not self.number.data:
            raise ValidationError("Un alias ou un prénom suffit, mais il en faut un "
                                  "(ou le numéro de carte).")


class IntakeForm(Form):
    """The interview of one arrival; sections the person's role does not see are not shown
    nor taken."""

    version = HiddenField()
    alias = text("Alias (comment la personne veut être appelée)", 80,
                 render_kw={"autocomplete": "off"})
    first_name = text("Prénom", 80, render_kw={"autocomplete": "off"})
    last_name = text("Nom (facultatif)", 80, render_kw={"autocomplete": "off"})
    birth_year = IntegerField("Année de naissance (même approximative)", validators=[
        Optional(), NumberRange(min=1900, max=2100, message="Année invalide.")],
        render_kw={"inputmode": "numeric"})
    languages = CheckboxesField("Langues parlées", choices=choices(vocab.LANGUAGES))
    criteria = CheckboxesField("Critères de vulnérabilité", coerce=int)
    in_france_since = MonthField("En France depuis (mois)", validators=[Optional()])
    health_coverage = SelectField("Couverture maladie", coerce=or_none,
                                  choices=opt_choices(vocab.HEALTH_COVERAGE))
    domiciliation = SelectField("Domiciliation", coerce=or_none,
                                choices=opt_choices(vocab.DOMICILIATION))
    asylum_stage = SelectField("Procédure d'asile", coerce=or_none,
                               choices=opt_choices(vocab.ASYLUM_STAGES))
    housing = SelectField("Hébergement", coerce=or_none, choices=opt_choices(vocab.HOUSING))
    assessment = long_text("Évaluation sociale, administrative et juridique")
    information = CheckboxesField("Information donnée", choices=choices(vocab.INFORMATION))
    information_note = long_text("Autre information donnée", 2000)

    def base_version(self) -> int | None:
        """The intake version the form was opened on (None for a first intake)."""
        return int(self.version.data) if (self.version.data or "").isdigit() else None


class OrientationForm(Form):
    """An orientation to a partner."""

    partner_id = SelectField("Structure de l'annuaire", coerce=int_or_none)
    kind = SelectField("Ou type de structure (hors annuaire)", coerce=or_none,
                       choices=opt_choices(vocab.PARTNER_KINDS))
    detail = text("Pour quoi (rendez-vous, démarche…)", 200)


class OutcomeForm(Form):
    """What came of an orientation."""

    outcome = SelectField("Suite", choices=choices(vocab.ORIENTATION_OUTCOMES))
    note = text("Précision", 200)


class AidForm(Form):
    """An aid granted."""

    kind = SelectField("Aide", coerce=or_none)
    quantity = IntegerField("Quantité", default=1, validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=50, message="De 1 à 50.")],
        render_kw={"inputmode": "numeric"})
    note = text("Précision", 200)


class PartnerForm(Form):
    """A partner structure of the directory."""

    team_id = SelectField("Équipe", coerce=int)
    name = text("Nom", 160, required=True)
    kind = SelectField("Type", coerce=or_none, choices=opt_choices(vocab.PARTNER_KINDS),
                       validators=[InputRequired("Choisissez le type de structure.")])
    address = text("Adresse", 200)
    phone = text("Téléphone", 40, render_kw={"inputmode": "tel", "autocomplete": "off"})
    email = StringField("E-mail", filters=[blank_to_none], validators=[
        Optional(), EmailAddress(), Length(max=254)])
    hours = long_text("Horaires", 1000)
    languages = text("Langues (parlées ou interprétariat)", 200)
    services = long_text("Ce que la structure fait", 2000)
    how_to_refer = long_text("Comment orienter (pièces, rendez-vous, contact)", 2000)
    active = BooleanField("Dans l'annuaire", default=True)


class DysfunctionForm(Form):
    """A dysfunction, without identity."""

    team_id = SelectField("Équipe", coerce=int)
    kind = SelectField("Type", coerce=or_none, choices=opt_choices(vocab.DYSFUNCTION_KINDS,
                                                                   "— choisir —"),
                       validators=[InputRequired("Choisissez le type.")])
    observed_on = DateField("Constaté le", validators=[InputRequired(REQUIRED)],
                            format="%Y-%m-%d")
    partner_id = SelectField("Structure de l'annuaire", coerce=int_or_none)
    structure = text("Ou structure concernée (nom de l'institution)", 160)
    description = long_text("Les faits", 2000)
    confirmed_anonymous = BooleanField("Je confirme que ce texte ne permet d'identifier "
                                       "personne")


class CriterionForm(Form):
    """A line of the vulnerability checklist."""

    label = text("Nouveau critère", 200, required=True)


class AidCriterionForm(Form):
    """The rule for granting one kind of aid."""

    team_id = SelectField("Équipe", coerce=int)
    kind = SelectField("Aide", coerce=or_none, choices=opt_choices(vocab.AID_KINDS),
                       validators=[InputRequired("Choisissez l'aide.")])
    rule = long_text("Critère d'attribution", 1000)
    max_quantity = IntegerField("Au plus, par passage (vide : pas de limite)", validators=[
        Optional(), NumberRange(min=1, max=50, message="De 1 à 50.")],
        render_kw={"inputmode": "numeric"})
    valid_from = DateField("En vigueur à partir du", validators=[InputRequired(REQUIRED)],
                           format="%Y-%m-%d")
