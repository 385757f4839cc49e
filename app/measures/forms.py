"""Forms of ASLL measures (French messages; rules needing the database live in services)."""
from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import Form, choices
from app.housing.forms import REQUIRED, date_field
from app.measures.models import FUNDERS, OUTCOMES


class NotifyForm(Form):
    """A measure notified by the funder."""

    team_id = SelectField("Équipe ASLL", coerce=int, validators=[InputRequired(REQUIRED)])
    household_id = SelectField("Ménage", coerce=int, validators=[InputRequired(REQUIRED)])
    reference = StringField("Référence de la notification",
                            validators=[InputRequired(REQUIRED), Length(max=60)])
    notified_on = date_field("Date de notification")
    funder = SelectField("Financeur", choices=choices(FUNDERS),
                         validators=[InputRequired(REQUIRED)])
    prescriber = StringField("Prescripteur", validators=[InputRequired(REQUIRED),
                                                         Length(max=160)])
    objectives = TextAreaField("Objectifs fixés par le prescripteur",
                               validators=[InputRequired(REQUIRED), Length(max=4000)])


class EditForm(Form):
    """Correct the facts of a measure (a typing mistake in the notification, a contract date)."""

    reference = StringField("Référence de la notification",
                            validators=[InputRequired(REQUIRED), Length(max=60)])
    notified_on = date_field("Date de notification")
    funder = SelectField("Financeur", choices=choices(FUNDERS),
                         validators=[InputRequired(REQUIRED)])
    prescriber = StringField("Prescripteur", validators=[InputRequired(REQUIRED),
                                                         Length(max=160)])
    objectives = TextAreaField("Objectifs fixés par le prescripteur",
                               validators=[InputRequired(REQUIRED), Length(max=4000)])
    contract_signed_on = date_field("Contrat signé le", required=False)


class AssignForm(Form):
    """Receipt confirmed and the worker chosen."""

    received_on = date_field("Réception confirmée le")
    worker_id = SelectField("Attribuée à", coerce=int, validators=[InputRequired(REQUIRED)])


class ContractForm(Form):
    """The day the contract was signed."""

    signed_on = date_field("Contrat signé le")


class EndForm(Form):
    """Renewal or end, with a reason."""

    outcome = SelectField("Issue", choices=choices(OUTCOMES), validators=[InputRequired(REQUIRED)])
    ended_on = date_field("Date de fin")
    reason = StringField("Motif", validators=[InputRequired(REQUIRED), Length(max=300)])


class SheetForm(Form):
    """The worker's part of the month's fiche de lien."""

    summary = TextAreaField("Le mois en quelques lignes",
                            validators=[InputRequired(REQUIRED), Length(max=4000)])
    next_steps = TextAreaField("Prochaines étapes", validators=[Length(max=4000)])


class BatchForm(Form):
    """The day the batch was sent to the funder."""

    sent_on = date_field("Envoyé le")
