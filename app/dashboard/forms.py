"""The filter forms of the dashboard pages (read by GET: no CSRF token, nothing is written)."""
from __future__ import annotations

from datetime import date

from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from app.forms import Form, choices

#: Longest period the indicators are computed over (an annual report, or two, side by side).
MAX_DAYS = 3 * 366


class FilterForm(Form):
    """Team or programme, and a period."""

    class Meta:
        csrf = False

    equipe = SelectField("Équipe", validators=[Optional()], validate_choice=False)
    dispositif = SelectField("Dispositif (toutes équipes)", validators=[Optional()],
                             validate_choice=False)
    debut = DateField("Du", validators=[Optional()],
                      render_kw={"autocomplete": "off"})
    fin = DateField("Au", validators=[Optional()], render_kw={"autocomplete": "off"})

    def fill(self, scope, with_programme: bool = True) -> None:
        """Offer the person's teams and the programmes they run."""
        self.equipe.choices = choices([("", "Toutes mes équipes"),
                                       *((str(t.id), t.name) for t in scope.teams)])
        if with_programme:
            self.dispositif.choices = choices([("", "Tous les dispositifs"),
                                               *scope.programmes.items()])

    def validate_equipe(self, field):
        """A team id, or nothing."""
        if field.data and not str(field.data).isdigit():
            raise ValidationError("Équipe inconnue.")

    def validate_fin(self, field):
        """The end comes after the start, within three years."""
        if field.data and self.debut.data:
            if field.data < self.debut.data:
                raise ValidationError("La fin de la période doit venir après son début.")
            if (field.data - self.debut.data).days > MAX_DAYS:
                raise ValidationError("Choisissez une période de trois ans au plus.")

    def period(self, today: date, default: str = "year"):
        """The period asked for; by default 1 January to today (or this week, or this month)."""
        from app.dashboard.queries import Period, month_of, week_of

        if default == "week":
            base = week_of(today)
        elif default == "month":
            base = month_of(today)
        else:
            base = Period(date(today.year, 1, 1), today)
        start = self.debut.data if self.debut.data and not self.debut.errors else base.start
        end = self.fin.data if self.fin.data and not self.fin.errors else base.end
        if end < start:
            start, end = base.start, base.end
        return Period(start, end)
