"""Vocabularies of the privacy package (code -> French label) and the retention defaults."""
from __future__ import annotations

from dataclasses import dataclass

#: Why a case file is anonymised (recorded with the free text of the person doing it).
ERASURE_REASONS = {
    "demande_personne": "Demande d'effacement de la personne (art. 17 RGPD)",
    "opposition": "Opposition de la personne au traitement (art. 21 RGPD)",
    "donnees_illicites": "Données collectées à tort ou sans base légale",
    "fin_conservation": "Durée de conservation écoulée",
    "autre": "Autre motif (préciser)",
}


@dataclass(frozen=True)
class RetentionDefault:
    """How long a closed file stays active, then archived, and where the figures come from."""

    active_months: int  #: after the last exit, the file stays in the normal lists
    archive_months: int  #: then it is archived (authorised readers only), then anonymised
    source: str  #: French sentence naming the source (shown on the admin page)


_SOCIAL = ("Référentiel CNIL « durées de conservation » du secteur social et médico-social "
           "(délibération 2023-095) et référentiel accompagnement social (délibération "
           "2021-028) : 2 ans en base active après le dernier contact (durée que la CNIL "
           "recommande aussi en protection de l'enfance), puis archivage intermédiaire limité "
           "à 5 ans (prescription civile, art. 2224 du code civil).")
_HOUSING = ("Mêmes sources que l'accompagnement social (délibérations 2021-028 et 2023-095) : "
            "2 ans actifs après la sortie, puis 5 ans d'archive, qui couvrent aussi la "
            "prescription des actions nées du bail (3 ans, loi du 6 juillet 1989, art. 7-1) ; "
            "après l'anonymisation, les paiements gardent leurs montants 10 ans (code de "
            "commerce, art. L123-22).")
_DROPIN = ("Accueil sans suivi durable : 1 an en base active (choix prudent de Terrain, pas de "
           "chiffre CNIL propre confirmé), puis 2 ans d'archive.")

#: programme code -> default retention. Editable per programme by an admin.
DEFAULTS = {
    "iml": RetentionDefault(24, 60, _HOUSING),
    "asll": RetentionDefault(24, 60, _SOCIAL),
    "lda": RetentionDefault(24, 60, _HOUSING),
    "village": RetentionDefault(24, 60, _HOUSING),
    "permanence": RetentionDefault(12, 24, _DROPIN),
    "relogement": RetentionDefault(24, 60, _HOUSING),
    "lieu_de_vie": RetentionDefault(24, 60, _HOUSING),
}
FALLBACK = RetentionDefault(24, 60, _SOCIAL)
