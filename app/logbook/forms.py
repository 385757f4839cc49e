"""Forms of the logbook: an entry (also written offline), a flat check, filters, settings."""
from __future__ import annotations

from datetime import datetime

from wtforms import (DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import REQUIRED, Form, blank_to_none, choices, opt_choices
from app.housing.forms import date_field
from app.logbook.models import CATEGORIES, CHECK_OUTCOMES, CHECK_POINTS, CHECK_STATES

DATETIME_ERROR = "Date et heure invalides : choisissez-les dans le calendrier."


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (big targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ParisDateTimeField(DateTimeLocalField):
    """A Paris wall-clock date and time (<input type=datetime-local>), with a French error."""

    def process_formdata(self, valuelist):
        """Accept 'YYYY-MM-DDTHH:MM' (and seconds, which some browsers send)."""
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                self.data = datetime.strptime(text, fmt)
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(DATETIME_ERROR)


class EntryForm(Form):
    """A logbook entry; `client_id` is made by the browser when the form opens."""

    client_id = HiddenField()
    version = HiddenField()  #: version being edited (edit form only)
    occurred_at = ParisDateTimeField("Date et heure", format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(REQUIRED)])
    category = SelectField("Catégorie", choices=opt_choices(CATEGORIES, "— Choisir —"),
                           validators=[InputRequired("Choisissez une catégorie.")])
    text = TextAreaField("Ce qui s'est passé", filters=[blank_to_none],
                         validators=[InputRequired("Écrivez ce qui s'est passé."),
                                     Length(max=10_000, message="10 000 caractères au plus.")])
    people = CheckboxesField("Habitant·es concerné·es", coerce=int)
    partners = StringField("Partenaires présent·es ou concerné·es", filters=[blank_to_none],
                           validators=[Optional(), Length(max=300,
                                                          message="300 caractères au plus.")])

    def base_version(self) -> int | None:
        """The version the form was opened on."""
        return int(self.version.data) if (self.version.data or "").isdigit() else None

    def values(self) -> dict:
        """The content, as services take it."""
        return {"occurred_at": self.occurred_at.data, "category": self.category.data,
                "text": self.text.data, "partners": self.partners.data,
                "people": self.people.data or []}


class FiltersForm(Form):
    """Narrow the list (GET, no CSRF)."""

    class Meta:
        csrf = False

    du = date_field("Du", required=False)
    au = date_field("Au", required=False)
    categorie = SelectField("Catégorie", choices=opt_choices(CATEGORIES, "Toutes"),
                            validators=[Optional()])
    texte = StringField("Texte", filters=[blank_to_none], validators=[Optional(), Length(max=100)])
    personne = SelectField("Personne", coerce=lambda v: int(v) if v not in (None, "") else None,
                           validators=[Optional()])


def _check_form_class():
    """The check form: one state radio and one comment per checklist point."""
    attrs = {
        "checked_on": date_field("Date du contrôle"),
        "outcome": RadioField("Bilan", choices=choices(CHECK_OUTCOMES),
                              validators=[InputRequired("Choisissez le bilan du contrôle.")]),
        "summary": TextAreaField("Commentaire général", filters=[blank_to_none],
                                 validators=[Optional(), Length(max=4000)]),
        "follow_up": StringField("Suite à donner", filters=[blank_to_none],
                                 validators=[Optional(), Length(max=300)]),
        "follow_up_on": date_field("À faire avant le", required=False),
    }
    for point, label in CHECK_POINTS.items():
        attrs[f"{point}_state"] = RadioField(label, choices=choices(CHECK_STATES), validators=[
            InputRequired("Choisissez OK, à revoir ou préoccupant.")])
        attrs[f"{point}_comment"] = StringField(f"Commentaire — {label.lower()}",
                                                filters=[blank_to_none],
                                                validators=[Optional(), Length(max=300)])
    return type("CheckForm", (Form,), attrs)


CheckForm = _check_form_class()


class SettingsForm(Form):
    """How often each flat should be checked."""

    days = IntegerField("Contrôler chaque logement au moins tous les (jours)",
                        validators=[InputRequired(REQUIRED),
                                    NumberRange(min=7, max=730, message="Entre 7 et 730 jours.")],
                        render_kw={"inputmode": "numeric"})
