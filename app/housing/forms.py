"""Housing forms. Rules that need the database (overlaps, renewals left) live in services."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import (BooleanField, DateField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form, MoneyField, choices
from app.housing.models import (APPLICATION_SOURCES, ARREARS_STEPS, CONTRACT_KINDS, DECISIONS,
                                EXIT_DESTINATIONS, EXIT_REASONS, FLAT_KINDS, KIND_LABELS,
                                PAYMENT_METHODS, WANTED_UNITS)

REQUIRED = "Ce champ est obligatoire."
DATE_ERROR = "Date invalide : choisissez un jour dans le calendrier."
MONEY_KW = {"inputmode": "decimal", "autocomplete": "off"}


def _blank(pairs: dict[str, str], label: str = "— Choisir —") -> list[tuple[str, str]]:
    return [("", label), *pairs.items()]


class SurfaceField(StringField):
    """A surface in m² typed the French way ("45,5"), kept as a float."""

    def process_formdata(self, valuelist):
        """Parse "45,5" or "45.5"; a blank field gives None."""
        self.data = None
        text = (valuelist[0] if valuelist else "").replace(" ", "").replace(",", ".")
        if not text:
            return
        try:
            self.data = float(Decimal(text))
        except InvalidOperation as exc:
            raise ValueError("Surface invalide : écrivez par exemple 45,5.") from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is not None:
            return f"{self.data:g}".replace(".", ",")
        return ""


class DateFieldFr(DateField):
    """A DateField whose parse error is French and plain."""

    def process_formdata(self, valuelist):
        """Parse YYYY-MM-DD (what <input type=date> sends)."""
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(DATE_ERROR) from exc


def date_field(label: str, required: bool = True) -> DateFieldFr:
    """A calendar date field, required or not."""
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    return DateFieldFr(label, validators=validators, format="%Y-%m-%d")


def text(label: str, length: int, required: bool = False, **kw) -> StringField:
    """A one-line text field."""
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=length)], **kw)


class FlatForm(Form):
    """A flat or a collective place: where, what, the landlord, meters, equipment, rules."""

    team_id = SelectField("Équipe qui gère le logement", coerce=int, validate_choice=True)
    address = text("Adresse (numéro et rue)", 200, True, render_kw={"autocomplete": "off"})
    postcode = text("Code postal", 10, True, render_kw={"inputmode": "numeric"})
    city = text("Commune", 120, True)
    kind = SelectField("Type", choices=choices({k: KIND_LABELS[k]
                                                for k in (*FLAT_KINDS, "collectif")}))
    name = text("Nom du lieu (lieu de vie collectif)", 120)
    surface_m2 = SurfaceField("Surface (m²)", render_kw={"inputmode": "decimal"})
    floor = IntegerField("Étage (0 : rez-de-chaussée)", validators=[Optional()],
                         render_kw={"inputmode": "numeric"})
    status = SelectField("Statut", choices=choices({"vacant": "Vacant", "travaux": "Travaux",
                                                    "rendu": "Rendu au bailleur"}))
    returned_on = date_field("Rendu le", required=False)
    managed_since = date_field("Pris en gestion le", required=False)
    landlord_name = text("Bailleur (propriétaire ou agence)", 160)
    landlord_contact = text("Contact du bailleur (téléphone, e-mail)", 200)
    landlord_rent = MoneyField("Loyer payé au bailleur (€ par mois)", render_kw=MONEY_KW)
    landlord_charges = MoneyField("Charges payées au bailleur (€ par mois)", render_kw=MONEY_KW)
    water_meter = text("N° compteur d'eau", 40)
    electricity_meter = text("N° compteur électrique (PDL)", 40)
    gas_meter = text("N° compteur de gaz (PCE)", 40)
    equipment = TextAreaField("Équipements", validators=[Optional(), Length(max=2000)])
    audience = text("Public accueilli (lieu collectif)", 160)
    animals_allowed = BooleanField("Animaux acceptés")
    rules = TextAreaField("Règles de vie (lieu collectif)", validators=[Optional(),
                                                                       Length(max=4000)])


class PlaceForm(Form):
    """A place in a collective place."""

    label = text("Nom de la place", 60, True)
    notes = text("Précisions (étage, accessibilité…)", 200)


class ContractForm(Form):
    """Sign a contract: who, which kind, from when, and what the household owes each month."""

    household_id = SelectField("Ménage", coerce=int, validate_choice=False)
    place_id = SelectField("Place", coerce=int, validate_choice=False)
    kind = SelectField("Type de contrat", choices=choices(CONTRACT_KINDS))
    start_on = date_field("Date d'entrée")
    term_months = IntegerField("Durée en mois (convention ; vide : sans terme)",
                               validators=[Optional(), NumberRange(1, 60)],
                               render_kw={"inputmode": "numeric"})
    glide_planned_on = date_field("Glissement prévu le (bail glissant)", required=False)
    rent = MoneyField("Loyer mensuel (€)", render_kw=MONEY_KW)
    charges = MoneyField("Charges mensuelles (€)", render_kw=MONEY_KW)
    apl = MoneyField("APL versée à l'association (€ par mois)", render_kw=MONEY_KW)


class EntryForm(ContractForm):
    """Enter an admitted household into a free flat or place."""

    unit = SelectField("Logement ou place", validate_choice=False)
    referent_id = SelectField("Référent·e du ménage", coerce=int, validate_choice=False)


class RenewalForm(Form):
    """A renewal decision."""

    decided_on = date_field("Décidé le")
    decided_by = text("Décidé par", 160, True)
    reason = TextAreaField("Motif", validators=[InputRequired(REQUIRED), Length(max=2000)])


class EndForm(Form):
    """The household's exit."""

    ended_on = date_field("Date de sortie (dernier jour dans le logement)")
    reason = SelectField("Motif de sortie", choices=choices(_blank(EXIT_REASONS)))
    destination = SelectField("Destination", choices=choices(_blank(EXIT_DESTINATIONS)))
    note = TextAreaField("Précisions", validators=[Optional(), Length(max=2000)])


class GlideForm(Form):
    """The day the lease slid to the household."""

    glided_on = date_field("Le bail a glissé au nom du ménage le")
    note = TextAreaField("Précisions", validators=[Optional(), Length(max=2000)])


class SiaoExitForm(Form):
    """An upcoming exit declared to the SIAO."""

    exit_planned_on = date_field("Sortie prévue le")
    declared_on = date_field("Déclarée au SIAO le")


class RentForm(Form):
    """A revision of rent, charges or APL."""

    effective_on = date_field("À partir du (1er du mois)")
    rent = MoneyField("Loyer mensuel (€)", render_kw=MONEY_KW)
    charges = MoneyField("Charges mensuelles (€)", render_kw=MONEY_KW)
    apl = MoneyField("APL versée à l'association (€ par mois)", render_kw=MONEY_KW)
    note = text("Motif (révision annuelle, nouvelle APL…)", 200)


class PaymentForm(Form):
    """A payment received."""

    paid_on = date_field("Date du paiement")
    amount = MoneyField("Montant (€)", render_kw=MONEY_KW)
    method = SelectField("Moyen de paiement", choices=choices(_blank(PAYMENT_METHODS)))
    reference = text("Référence (n° de chèque, remarque)", 120)


class CancelPaymentForm(Form):
    """Why a payment entry is cancelled."""

    reason = text("Motif de l'annulation", 200, True)


class ArrearsStepForm(Form):
    """A step of the unpaid-rent procedure."""

    kind = SelectField("Étape", choices=choices(_blank(ARREARS_STEPS)))
    done_on = date_field("Date")
    done_by_id = SelectField("Faite par", coerce=int, validate_choice=False)
    monthly_amount = MoneyField("Plan d'apurement : remboursement mensuel (€)",
                                render_kw=MONEY_KW)
    note = TextAreaField("Précisions", validators=[Optional(), Length(max=2000)])


class ApplicationForm(Form):
    """A candidature received."""

    team_id = SelectField("Équipe", coerce=int, validate_choice=True)
    name = text("Nom du ménage ou alias", 120, True)
    received_on = date_field("Reçue le")
    source = SelectField("Origine", choices=choices(_blank(APPLICATION_SOURCES)))
    partner = text("Partenaire qui oriente (prescripteur)", 160)
    siao_ref = text("Référence SIAO", 40)
    adults = IntegerField("Adultes", default=1, validators=[InputRequired(REQUIRED),
                                                           NumberRange(1, 20)],
                          render_kw={"inputmode": "numeric"})
    children = IntegerField("Enfants", default=0, validators=[Optional(), NumberRange(0, 20)],
                            render_kw={"inputmode": "numeric"})
    resources_amount = MoneyField("Ressources mensuelles (€)", render_kw=MONEY_KW)
    resources_detail = text("Nature des ressources (RSA, salaire, AAH…)", 200)
    situation = text("Situation actuelle (hébergé·e chez un tiers, CHRS, rue…)", 200)
    wanted = SelectField("Logement recherché", choices=choices(_blank(WANTED_UNITS,
                                                                      "— Indifférent —")))
    animals = BooleanField("Vient avec un animal")
    notes = TextAreaField("Éléments clés du dossier", validators=[Optional(), Length(max=4000)])


class InterviewForm(Form):
    """The admissibility interview."""

    interview_on = date_field("Date de l'entretien")
    admissible = SelectField("Conclusion", choices=choices(
        [("", "— Choisir —"), ("oui", "Admissible"), ("non", "Non admissible")]))
    notes = TextAreaField("Compte rendu", validators=[Optional(), Length(max=4000)])


class DecisionForm(Form):
    """The commission's decision."""

    commission_on = date_field("Date de la commission")
    members = text("Membres présents", 300, True)
    decision = SelectField("Décision", choices=choices(_blank(DECISIONS)))
    reason = TextAreaField("Motif (obligatoire si refus ou liste d'attente)",
                           validators=[Optional(), Length(max=2000)])


class WithdrawForm(Form):
    """Taking a candidature off the list."""

    withdrawn_on = date_field("Date")
    reason = text("Motif (relogé·e ailleurs, ne donne plus de nouvelles…)", 200, True)
