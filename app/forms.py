"""The base form: Flask-WTF with WTForms' French messages."""
from datetime import date
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.formatting import date_fr


class Form(FlaskForm):
    """Every form of Terrain derives from this one so built-in messages come out in French."""

    class Meta:
        locales = ("fr_FR", "fr")


class EmailAddress:
    """Validates an e-mail address's syntax with email-validator (no DNS look-up).

    The ".test" domain is accepted: demo accounts and test suites use it.
    """

    def __init__(self, message: str = "Adresse e-mail invalide."):
        self.message = message

    def __call__(self, form, field):
        try:
            validate_email(field.data or "", check_deliverability=False, test_environment=True)
        except EmailNotValidError as exc:
            raise ValidationError(self.message) from exc


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {value: label} dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


class MoneyField(StringField):
    """An amount in euros typed the French way ("1 234,50", "845,2 €", "845.20"), kept as a
    Decimal with two places; a blank field gives None."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        """Accept a comma or a point, spaces and a euro sign; refuse more than cents."""
        self.data = None
        text = valuelist[0] if valuelist else ""
        for junk in (" ", "\u00a0", "\u202f", "€"):
            text = text.replace(junk, "")
        if not text:
            return
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError("Montant invalide : écrivez par exemple 450,50.") from exc
        if not value.is_finite():
            raise ValueError("Montant invalide : écrivez par exemple 450,50.")
        if value.as_tuple().exponent < -2:
            raise ValueError("Deux chiffres après la virgule au plus (les centimes).")
        self.data = value.quantize(Decimal("0.01"))

    def _value(self):
        """Show the amount with a comma."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is not None:
            return f"{self.data:.2f}".replace(".", ",")
        return ""


REQUIRED = "Ce champ est obligatoire."


def blank_to_none(value):
    """Strip text; an empty answer is stored as None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def or_none(value):
    """Select coercion: the empty option means None."""
    return value or None


def int_or_none(value):
    """Select coercion for optional ids."""
    return int(value) if value not in (None, "", "None") else None


def opt_choices(mapping: dict, empty: str = "—") -> list:
    """Select options with an empty first choice."""
    return choices([("", empty)] + list(mapping.items()))


def text(label, max_length=200, required=False, **kw):
    """A one-line text field, optional unless `required`; blank becomes None."""
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"{max_length} caractères au plus."))
    return StringField(label, validators=validators, filters=[blank_to_none], **kw)


def display_value(form, name, value) -> str:
    """A stored or typed value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return date_fr(value, "short")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    field = getattr(form, name, None)
    if field is not None and hasattr(field, "choices") and field.choices:
        for choice in field.choices:
            if str(getattr(choice, "value", None)) == str(value):
                return str(choice.label)
    return str(value)


def conflict_rows(form, current, names) -> list[dict]:
    """The fields whose saved value differs from what the form holds, side by side (a
    version conflict: someone saved the record since this form was opened)."""
    rows = []
    for name in names:
        field = getattr(form, name, None)
        if field is None or not hasattr(current, name):
            continue
        theirs, yours = getattr(current, name), field.data
        if (theirs or None) != (yours or None):
            rows.append({"label": field.label.text, "theirs": display_value(form, name, theirs),
                         "yours": display_value(form, name, yours)})
    return rows
