"""Forms of the alert centre and of the notification settings."""
from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form


class SnoozeForm(Form):
    """Snooze an alert until a day."""

    until = DateField("Me le rappeler le", validators=[InputRequired("Indiquez un jour.")])


class AssignForm(Form):
    """Give an alert to a colleague."""

    user_id = SelectField("Confier à", coerce=int,
                          validators=[InputRequired("Choisissez une personne.")])


class PreferencesForm(Form):
    """Which kinds are pushed, quiet hours, daily digest."""

    kinds = SelectMultipleField("Recevoir une notification pour", coerce=str,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    quiet_start = TimeField("Début (le soir)", validators=[Optional()])
    quiet_end = TimeField("Fin (le matin)", validators=[Optional()])
    digest = BooleanField("Un seul résumé par jour (sauf urgences)")
    digest_at = TimeField("Heure du résumé", validators=[Optional()])

    def validate(self, extra_validators=None):
        """Quiet hours need both ends, or neither."""
        ok = super().validate(extra_validators)
        if (self.quiet_start.data is None) != (self.quiet_end.data is None):
            target = self.quiet_end if self.quiet_end.data is None else self.quiet_start
            target.errors = list(target.errors) + ["Indiquez le début et la fin, ou aucun des deux."]
            ok = False
        if self.digest.data and self.digest_at.data is None:
            self.digest_at.errors = list(self.digest_at.errors) + ["Indiquez l'heure du résumé."]
            ok = False
        return ok


def lead_form(rules: dict, values: dict[str, int]):
    """A form with one lead-time field per rule, filled with the team's values."""

    class LeadForm(Form):
        pass

    for code, r in rules.items():
        limit = 365 * 24 if r.unit == "heures" else 365
        setattr(LeadForm, f"lead_{code}", IntegerField(
            r.label, default=values.get(code, r.default_lead),
            validators=[InputRequired("Indiquez un nombre."),
                        NumberRange(0, limit, f"Entre 0 et {limit}.")]))
    return LeadForm
