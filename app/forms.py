"""The base form: Flask-WTF with WTForms' French messages."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    """Every form of Terrain derives from this one so built-in messages come out in French."""

    class Meta:
        locales = ("fr_FR", "fr")
