"""The base form: Flask-WTF with WTForms' French messages."""
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
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
