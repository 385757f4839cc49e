"""Forms of the case file. Empty text becomes None; every message is French."""
from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.forms import (REQUIRED, Form, MoneyField, blank_to_none, choices, int_or_none,
                       opt_choices, or_none, text)
from app.households import vocab


class VersionedForm(Form):
    """Carries the version of the row the person opened, to detect concurrent edits."""

    version = HiddenField()

    def seen_version(self) -> int | None:
        """The version the form was opened on."""
        text = str(self.version.data if self.version.data is not None else "")
        return int(text) if text.isdigit() else None

    def values(self, *names: str) -> dict:
        """The typed values of these fields."""
        return {n: getattr(self, n).data for n in names if hasattr(self, n)}


class PersonFields(VersionedForm):
    """Who someone is: name or alias, birth, languages."""

    first_name = text("Prénom", 80, render_kw={"autocomplete": "off"})
    last_name = text("Nom", 80, render_kw={"autocomplete": "off"})
    alias = text("Alias ou nom d'usage", 80, render_kw={"autocomplete": "off"})
    birth_year = IntegerField("Année de naissance", validators=[Optional()],
                              render_kw={"inputmode": "numeric"})
    birth_date = DateField("Date de naissance", validators=[Optional()], format="%Y-%m-%d")
    birth_presumed = BooleanField("Date ou année présumée")
    role = SelectField("Place dans le ménage", choices=opt_choices(vocab.PERSON_ROLES),
                       coerce=or_none)
    languages = text("Langues parlées", 200)
    interpreter_needed = BooleanField("Interprète nécessaire")
    phone = text("Téléphone", 30, render_kw={"inputmode": "tel", "autocomplete": "off"})


class HouseholdFields(VersionedForm):
    """The household's facts."""

    name = text("Nom du ménage", 120)
    address = text("Adresse", 200)
    postcode = text("Code postal", 10, render_kw={"inputmode": "numeric"})
    city = text("Commune", 120)
    phone = text("Téléphone du ménage", 30, render_kw={"inputmode": "tel"})
    composition = SelectField("Composition", choices=opt_choices(vocab.COMPOSITIONS),
                              coerce=or_none)
    resources_amount = MoneyField("Ressources mensuelles (€)", validators=[
        Optional(), NumberRange(min=0, message="Un montant positif, en euros.")])
    resources_detail = text("Origine des ressources", 200)
    situation = TextAreaField("Situation", filters=[blank_to_none])
    prescriber = text("Prescripteur", 160)
    siao_ref = text("Référence SIAO", 40)


class HouseholdEditForm(HouseholdFields):
    """Edit a household (the name is then required)."""

    name = text("Nom du ménage", 120, required=True)


class HouseholdCreateForm(HouseholdFields):
    """Open a case file: the household, its team and referent, and its first person."""

    team_id = SelectField("Équipe", coerce=int)
    referent_id = SelectField("Référent·e", coerce=int_or_none)
    first_name = PersonFields.first_name
    last_name = PersonFields.last_name
    alias = PersonFields.alias
    birth_year = PersonFields.birth_year
    birth_date = PersonFields.birth_date
    birth_presumed = PersonFields.birth_presumed
    role = PersonFields.role
    languages = PersonFields.languages
    interpreter_needed = PersonFields.interpreter_needed
    person_phone = text("Téléphone de la personne", 30, render_kw={"inputmode": "tel"})


class EnrolmentForm(Form):
    """Enrol the household in another programme."""

    team_id = SelectField("Équipe et programme", coerce=int)
    entry_date = DateField("Date d'entrée", validators=[InputRequired(REQUIRED)],
                           format="%Y-%m-%d")


class EndEnrolmentForm(VersionedForm):
    """End an accompagnement."""

    exit_date = DateField("Date de sortie", validators=[InputRequired(REQUIRED)],
                          format="%Y-%m-%d")
    exit_destination = SelectField("Destination", choices=opt_choices(vocab.DESTINATIONS,
                                                                      "Choisir…"))
    exit_reason = text("Motif de sortie", 200)


class BarrierForm(VersionedForm):
    """A frein of the project."""

    category = SelectField("Domaine", choices=choices(vocab.BARRIER_CATEGORIES))
    description = TextAreaField("Description", validators=[InputRequired(REQUIRED)],
                                filters=[blank_to_none])
    status = SelectField("Statut", choices=choices(vocab.BARRIER_STATUSES))
    identified_on = DateField("Identifié le", validators=[InputRequired(REQUIRED)],
                              format="%Y-%m-%d")
    resolved_on = DateField("Levé le", validators=[Optional()], format="%Y-%m-%d")


class GoalForm(VersionedForm):
    """An objective of the projet personnalisé."""

    title = text("Objectif", 200, required=True)
    description = TextAreaField("Précisions", filters=[blank_to_none])
    barrier_id = SelectField("Frein concerné", coerce=int_or_none)
    set_on = DateField("Défini le", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    target_on = DateField("Échéance", validators=[Optional()], format="%Y-%m-%d")
    status = SelectField("Statut", choices=choices(vocab.GOAL_STATUSES))


class ProgressForm(VersionedForm):
    """A step of progress on a goal."""

    on = DateField("Date", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    progress = SelectField("Avancement", coerce=int,
                           choices=choices([(p, f"{p} %") for p in (0, 25, 50, 75, 100)]))
    comment = TextAreaField("Ce qui a avancé", filters=[blank_to_none])


class RightForm(VersionedForm):
    """A rights application."""

    kind = SelectField("Droit", choices=choices(vocab.RIGHT_KINDS))
    person_id = SelectField("Pour", coerce=int_or_none)
    status = SelectField("Statut", choices=choices(vocab.RIGHT_STATUSES))
    filed_on = DateField("Déposé le", validators=[Optional()], format="%Y-%m-%d")
    decided_on = DateField("Décision le", validators=[Optional()], format="%Y-%m-%d")
    expires_on = DateField("Fin de droit", validators=[Optional()], format="%Y-%m-%d")
    next_step = text("Prochaine étape", 200)
    next_step_due = DateField("Prochaine étape pour le", validators=[Optional()],
                              format="%Y-%m-%d")
    comment = TextAreaField("Commentaire", filters=[blank_to_none])


class NoteForm(VersionedForm):
    """A social note or evaluation report."""

    kind = SelectField("Type", choices=choices(vocab.NOTE_KINDS))
    confidentiality = SelectField("Qui peut la lire", choices=choices(vocab.CONFIDENTIALITY))
    title = text("Titre", 200, required=True)
    written_on = DateField("Date", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    body = TextAreaField("Note", validators=[InputRequired(REQUIRED)], filters=[blank_to_none])


class ReferentForm(Form):
    """Choose a household's referent."""

    referent_id = SelectField("Référent·e", coerce=int_or_none)
