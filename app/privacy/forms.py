"""Privacy forms: export and anonymisation confirmations, retention, archive readers."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form, choices
from app.privacy import vocab


class ExportForm(Form):
    """Download everything about a household, after confirming the request is legitimate."""

    fmt = RadioField("Format", choices=choices({"pdf": "PDF lisible (à remettre à la personne)",
                                                "json": "JSON complet (fichier technique)"}),
                     default="pdf", validators=[InputRequired("Choisissez un format.")])
    confirm = BooleanField("Je confirme que cette demande vient de la personne concernée (ou de "
                           "son représentant) et que j'ai vérifié son identité.")


class ErasureForm(Form):
    """Anonymise a closed case file: the reason, in a word and in a sentence, and a confirmation."""

    reason = SelectField("Motif", choices=choices([("", "Choisir…")]
                                                  + list(vocab.ERASURE_REASONS.items())))
    reason_text = TextAreaField("Précisions (date de la demande, ce qui a été vérifié…)",
                                validators=[Optional(), Length(max=2000)])
    confirm = BooleanField("Je confirme : les noms, coordonnées, textes, photos et signatures de "
                           "ce dossier seront supprimés définitivement.")


class PolicyForm(Form):
    """An admin's retention for one programme."""

    active_months = IntegerField("Dossier clos gardé actif (mois)", validators=[
        InputRequired("Indiquez un nombre de mois."),
        NumberRange(1, 120, "Entre 1 et 120 mois.")])
    archive_months = IntegerField("Puis archivé (mois) avant anonymisation", validators=[
        InputRequired("Indiquez un nombre de mois."),
        NumberRange(0, 360, "Entre 0 et 360 mois.")])


class GrantForm(Form):
    """Let one team member read that team's archives."""

    grant = SelectField("Personne et équipe", coerce=str,
                        validators=[InputRequired("Choisissez une personne.")])
