"""Forms of visits: planning and the report."""
from __future__ import annotations

from wtforms import (DateField, HiddenField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form, blank_to_none, choices
from app.visits.models import PLACES

REQUIRED = "Ce champ est obligatoire."


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (big targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanVisitForm(Form):
    """Plan a visit."""

    day = DateField("Date", validators=[InputRequired(REQUIRED)], format="%Y-%m-%d")
    at = TimeField("Heure", validators=[Optional()], format="%H:%M")
    place = SelectField("Lieu", choices=choices(PLACES))
    place_detail = StringField("Adresse ou structure", filters=[blank_to_none],
                               validators=[Optional(), Length(max=200)])
    purpose = StringField("Objet", validators=[InputRequired(REQUIRED), Length(max=200)])
    team_id = SelectField("Équipe", coerce=int)
    worker_ids = CheckboxesField("Intervenant·es", coerce=int)


class ReportForm(Form):
    """The compte rendu of a visit; `client_id` is made by the browser when the form opens."""

    client_id = HiddenField()
    version = HiddenField()  #: version of the report being edited, empty for a first report
    written_at = HiddenField()  #: device time of submission (ISO 8601), for the record
    seen = CheckboxesField("Personnes rencontrées", coerce=int)
    worked_on = CheckboxesField("Travaillé sur", coerce=str)
    observations = TextAreaField("Observations", filters=[blank_to_none])
    next_steps = TextAreaField("Suites à donner", filters=[blank_to_none])
    orientation = StringField("Orientation vers", filters=[blank_to_none],
                              validators=[Optional(), Length(max=200)])
    duration_minutes = IntegerField("Durée (minutes)", validators=[
        Optional(), NumberRange(min=1, max=720, message="La durée va de 1 à 720 minutes.")],
        render_kw={"inputmode": "numeric"})
    follow_up_on = DateField("Visite de suivi le", validators=[Optional()], format="%Y-%m-%d")

    def base_version(self) -> int | None:
        """The report version the form was opened on (None for a first report)."""
        return int(self.version.data) if (self.version.data or "").isdigit() else None
