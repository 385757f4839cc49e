"""The base form: Flask-WTF with WTForms' French messages."""
from decimal import ROUND_HALF_UP, Decimal

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.widgets import TextInput
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


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


class MoneyField(DecimalField):
    """An amount in euros typed the French way: '1 234,50', '845,2 €' or '845.20'."""

    widget = TextInput()  # type=number would refuse the French comma on many phones

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", 2)
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        """Accept a comma as decimal separator, spaces and a euro sign."""
        if valuelist:
            raw = valuelist[0] or ""
            for junk in (" ", "\u00a0", "\u202f", "€"):
                raw = raw.replace(junk, "")
            valuelist = [raw.replace(",", ".")]
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif valuelist and valuelist[0]:
            self.errors = list(self.process_errors)

    def _value(self):
        """Show the amount with a comma."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is not None:
            return f"{self.data:.2f}".replace(".", ",")
        return ""
