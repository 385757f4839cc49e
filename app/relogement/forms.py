"""Forms of the rehousing tool (French messages; rules needing the database live in services)."""
from __future__ import annotations

from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.forms import (REQUIRED, MoneyField, blank_to_none, choices, int_or_none, opt_choices,
                       or_none, text)
from app.households.forms import VersionedForm
from app.housing.forms import date_field
from app.relogement import vocab

POSITIVE = "Un montant positif, en euros."


class OperationForm(VersionedForm):
    """An urban-renewal operation."""

    team_id = SelectField("Équipe", coerce=int, validators=[InputRequired(REQUIRED)])
    name = text("Nom de l'opération", 160, required=True)
    town = text("Commune", 120, required=True)
    quartier = text("Quartier", 120)
    programme = SelectField("Cadre", choices=choices(vocab.PROGRAMMES),
                            validators=[InputRequired(REQUIRED)])
    landlords = text("Bailleurs partenaires", 300)
    started_on = date_field("Démarrage du relogement")
    target_on = date_field("Objectif : tous relogés le", required=False)
    status = SelectField("Statut", choices=choices(vocab.OPERATION_STATUSES),
                         validators=[InputRequired(REQUIRED)])
    description = TextAreaField("Présentation", filters=[blank_to_none])

    FIELDS = ("name", "town", "quartier", "programme", "landlords", "started_on", "target_on",
              "status", "description")


class BuildingForm(VersionedForm):
    """A building of the operation."""

    address = text("Adresse", 200, required=True)
    dwellings = IntegerField("Nombre de logements", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=2000, message="Entre 1 et 2000.")],
        render_kw={"inputmode": "numeric"})
    acquired_on = date_field("Acquis le", required=False)
    works = SelectField("Devenir de l'immeuble", choices=choices(vocab.WORKS),
                        validators=[InputRequired(REQUIRED)])
    works_on = date_field("Début des travaux prévu le", required=False)

    FIELDS = ("address", "dwellings", "acquired_on", "works", "works_on")


class CaseFields(VersionedForm):
    """Where the household lives, its situation, wishes, constraints and first contact."""

    building_id = SelectField("Immeuble", coerce=int_or_none,
                              validators=[InputRequired(REQUIRED)])
    staircase = text("Entrée ou escalier", 20)
    flat_number = text("Logement (n° ou étage)", 20)
    current_rent = MoneyField("Loyer actuel, charges comprises (€)",
                              validators=[Optional(), NumberRange(min=0, message=POSITIVE)])
    tenure = SelectField("Statut d'occupation", choices=opt_choices(vocab.TENURES),
                         coerce=or_none)
    needs = TextAreaField("Besoins particuliers", filters=[blank_to_none])
    wished_areas = text("Quartiers ou communes souhaités", 300)
    typology = SelectField("Typologie souhaitée", choices=opt_choices(vocab.TYPOLOGIES),
                           coerce=or_none)
    max_rent = MoneyField("Loyer maximum, charges comprises (€)",
                          validators=[Optional(), NumberRange(min=0, message=POSITIVE)])
    mobility = text("Mobilité", 300)
    school = text("Scolarité", 300)
    health = text("Santé", 300)
    animals = text("Animaux", 300)
    work = text("Travail", 300)
    first_contact_on = date_field("Premier contact le", required=False)

    FIELDS = ("building_id", "staircase", "flat_number", "current_rent", "tenure", "needs",
              "wished_areas", "typology", "max_rent", "mobility", "school", "health", "animals",
              "work", "first_contact_on")


class NewCaseForm(CaseFields):
    """A household of the operation: an existing case file, or a new one."""

    household_id = SelectField("Ménage", coerce=int_or_none)
    name = text("Nom du nouveau ménage", 120)
    first_name = text("Prénom d'une personne du ménage", 80, render_kw={"autocomplete": "off"})
    last_name = text("Nom de cette personne", 80, render_kw={"autocomplete": "off"})


class ProposalForm(VersionedForm):
    """A rehousing proposal."""

    address = text("Adresse du logement proposé", 200, required=True)
    landlord = text("Bailleur", 160, required=True)
    typology = SelectField("Typologie", choices=opt_choices(vocab.TYPOLOGIES, "— Choisir —"),
                           coerce=or_none, validators=[InputRequired(REQUIRED)])
    rent = MoneyField("Loyer, charges comprises (€)",
                      validators=[Optional(), NumberRange(min=0, message=POSITIVE)])
    proposed_on = date_field("Proposé le")

    FIELDS = ("address", "landlord", "typology", "rent", "proposed_on")


class AnswerForm(VersionedForm):
    """The household's answer to a proposal."""

    answer = SelectField("Réponse du ménage", choices=choices(
        {k: v for k, v in vocab.ANSWERS.items() if k != "en_attente"}),
        validators=[InputRequired(REQUIRED)])
    answered_on = date_field("Réponse le")
    refusal_reason = SelectField("Motif du refus", choices=opt_choices(vocab.REFUSAL_REASONS),
                                 coerce=or_none)
    answer_text = text("Précisions (les mots du ménage)", 500)


class OutcomeForm(VersionedForm):
    """The move and the final outcome."""

    moved_on = date_field("Déménagement le", required=False)
    outcome = SelectField("Issue", choices=opt_choices(vocab.OUTCOMES, "— Pas encore —"),
                          coerce=or_none)
    outcome_on = date_field("Date de l'issue", required=False)
    new_address = text("Adresse du nouveau logement", 200)
    outcome_text = text("Précisions", 500)


class MissionForm(VersionedForm):
    """A mission given to an outside provider."""

    case_id = SelectField("Concerne", coerce=int_or_none)
    provider = text("Prestataire", 160, required=True)
    kind = SelectField("Mission", choices=choices(vocab.MISSION_KINDS),
                       validators=[InputRequired(REQUIRED)])
    subject = TextAreaField("Ce qui est demandé", filters=[blank_to_none],
                            validators=[InputRequired(REQUIRED)])
    order_ref = text("Bon de commande", 60)
    started_on = date_field("Début")
    ends_on = date_field("Fin prévue", required=False)
    report_due_on = date_field("Rapport attendu le", required=False)
    report_received_on = date_field("Rapport reçu le", required=False)
    status = SelectField("Statut", choices=choices(vocab.MISSION_STATUSES),
                         validators=[InputRequired(REQUIRED)])
    pilot_id = SelectField("Pilotée par", coerce=int_or_none)

    FIELDS = ("case_id", "provider", "kind", "subject", "order_ref", "started_on", "ends_on",
              "report_due_on", "report_received_on", "status", "pilot_id")
