"""The fixed vocabularies of a case file: code -> French label, in display order."""

COMPOSITIONS = {
    "seul": "Personne seule",
    "couple": "Couple sans enfant",
    "couple_enfants": "Couple avec enfant(s)",
    "monoparental": "Famille monoparentale",
    "autre": "Autre (groupe, cohabitation…)",
}

PERSON_ROLES = {
    "demandeur": "Demandeur·se",
    "conjoint": "Conjoint·e",
    "enfant": "Enfant",
    "autre": "Autre membre",
}

DESTINATIONS = {
    "logement_autonome": "Logement autonome",
    "bail_glisse": "Bail glissé",
    "hebergement": "Hébergement",
    "rue": "Rue",
    "autre": "Autre",
}

BARRIER_CATEGORIES = {
    "budget": "Budget",
    "sante": "Santé",
    "parentalite": "Parentalité",
    "emploi": "Emploi",
    "droits": "Droits",
    "logement": "Logement",
    "administratif": "Administratif",
}

BARRIER_STATUSES = {
    "identifie": "Identifié",
    "en_cours": "En cours de levée",
    "leve": "Levé",
}

GOAL_STATUSES = {
    "en_cours": "En cours",
    "atteint": "Atteint",
    "abandonne": "Abandonné",
}

RIGHT_KINDS = {
    "apl": "APL",
    "fsl_acces": "FSL accès",
    "fsl_maintien": "FSL maintien",
    "pret_caf": "Prêt CAF",
    "dls": "DLS (demande de logement social)",
    "puma": "PUMa",
    "ame": "AME",
    "css": "CSS",
    "domiciliation": "Domiciliation",
    "titre_sejour": "Titre de séjour",
    "autre": "Autre",
}

RIGHT_STATUSES = {
    "a_faire": "À faire",
    "depose": "Déposé",
    "accorde": "Accordé",
    "refuse": "Refusé",
}

NOTE_KINDS = {
    "note": "Note sociale",
    "bilan": "Bilan d'évaluation",
}

CONFIDENTIALITY = {
    "equipe": "Équipe",
    "referent": "Référent·e et coordination",
    "sante": "Santé : auteur·rice et coordination",
}
