"""The fixed vocabularies of the drop-in: code -> French label, in display order."""

#: What a person can do during a session (a shift's role, a session's need).
SESSION_ROLES = {
    "accueil": "Accueil",
    "entretien": "Entretien social",
    "medecin": "Médecin",
    "infirmier": "Infirmier·e",
    "interprete": "Interprète",
}

#: Roles a volunteer may take without the coordinator saying so in their profile.
DEFAULT_VOLUNTEER_ROLES = ("accueil", "entretien")

#: Languages heard at the desk (arrivals, interpreters, figures).
LANGUAGES = {
    "francais": "français",
    "anglais": "anglais",
    "arabe": "arabe",
    "dari": "dari",
    "pachto": "pachto",
    "tigrinya": "tigrinya",
    "amharique": "amharique",
    "somali": "somali",
    "peul": "peul",
    "bambara": "bambara",
    "soninke": "soninké",
    "wolof": "wolof",
    "lingala": "lingala",
    "espagnol": "espagnol",
    "portugais": "portugais",
    "russe": "russe",
    "georgien": "géorgien",
    "albanais": "albanais",
    "roumain": "roumain",
    "turc": "turc",
    "kurde": "kurde",
    "ourdou": "ourdou",
    "bengali": "bengali",
    "tamoul": "tamoul",
    "ukrainien": "ukrainien",
    "autre": "autre langue",
}

#: Why someone comes to the desk (said at arrival).
REASONS = {
    "soins": "Soins, consultation",
    "droits_sante": "Droits santé (AME, PUMa, CSS)",
    "domiciliation": "Domiciliation",
    "hebergement": "Hébergement",
    "juridique": "Asile, séjour, juridique",
    "aide": "Aide (transport, hygiène…)",
    "information": "Information",
    "suivi": "Suivi d'une démarche",
    "autre": "Autre",
}

#: States of an arrival in the queue.
STATES = {
    "attente": "En attente",
    "entretien": "En entretien",
    "oriente": "Orienté·e",
    "parti": "Parti·e sans être vu·e",
}

#: Allowed moves between states (a mistaken click can be undone).
TRANSITIONS = {
    "attente": {"entretien", "oriente", "parti"},
    "entretien": {"attente", "oriente"},
    "oriente": {"entretien"},
    "parti": {"attente"},
}

HEALTH_COVERAGE = {
    "aucune": "Aucune couverture",
    "ame": "AME",
    "puma": "PUMa sans complémentaire",
    "puma_css": "PUMa et CSS",
    "ceam": "Carte européenne (CEAM)",
    "en_cours": "Demande en cours",
    "inconnue": "Ne sait pas",
}

DOMICILIATION = {
    "aucune": "Pas de domiciliation",
    "ccas": "CCAS",
    "association": "Association agréée",
    "en_cours": "Demande en cours",
    "inconnue": "Ne sait pas",
}

ASYLUM_STAGES = {
    "non_concerne": "Non concerné·e",
    "a_enregistrer": "Souhaite demander l'asile, pas encore enregistré·e",
    "spada": "Pré-accueil (SPADA), en attente du GUDA",
    "dublin": "Procédure Dublin",
    "ofpra": "Demande à l'OFPRA",
    "cnda": "Recours à la CNDA",
    "protection": "Protection accordée",
    "deboute": "Débouté·e",
}

HOUSING = {
    "rue": "À la rue",
    "urgence": "Hébergement d'urgence (115)",
    "asile": "Hébergement pour demandeurs d'asile (CADA, HUDA)",
    "tiers": "Hébergé·e par un tiers",
    "hotel": "Hôtel (hébergement social)",
    "squat": "Squat, campement",
    "logement": "Logement personnel",
    "autre": "Autre",
}

#: Information given during the interview (a checklist, plus free text).
INFORMATION = {
    "droits_sante": "Droits santé : AME, PUMa, CSS",
    "soins": "Accès aux soins : PASS, centres de santé",
    "domiciliation": "Domiciliation : où et comment la demander",
    "asile": "Asile : démarches, pré-accueil",
    "sejour": "Droit au séjour",
    "hebergement": "Hébergement : 115, accueils de jour",
    "alimentaire": "Aide alimentaire",
}

#: Kinds of partner structures; an orientation has the kind of its partner.
PARTNER_KINDS = {
    "pass": "PASS (permanence d'accès aux soins)",
    "hopital": "Hôpital, urgences",
    "centre_sante": "Centre de santé, médecin",
    "sante_mentale": "Santé mentale",
    "cpam": "CPAM, droits santé",
    "juridique": "Juridique, avocat·e",
    "hebergement": "Hébergement",
    "domiciliation": "Domiciliation",
    "association": "Association (alimentaire, vestiaire…)",
    "autre": "Autre",
}

ORIENTATION_OUTCOMES = {
    "en_attente": "Sans nouvelles",
    "realisee": "Reçu·e par la structure",
    "non_realisee": "N'y est pas allé·e",
    "refusee": "Refusé·e par la structure",
}

AID_KINDS = {
    "transport": "Tickets de transport",
    "telephone": "Recharge téléphonique",
    "hygiene": "Kit d'hygiène",
    "alimentaire": "Bon alimentaire",
    "autre": "Autre aide",
}

DYSFUNCTION_KINDS = {
    "refus_soins": "Refus de soins",
    "delai_cpam": "Délais de la CPAM",
    "pieces_abusives": "Demande illégale de pièces",
    "refus_domiciliation": "Refus de domiciliation",
    "interpretariat": "Pas d'interprétariat",
    "refus_guichet": "Refus de guichet, de dépôt",
    "autre": "Autre",
}

SESSION_STATUSES = {"ouverte": "Ouverte", "annulee": "Annulée"}

WEEKDAYS = {0: "lundi", 1: "mardi", 2: "mercredi", 3: "jeudi", 4: "vendredi", 5: "samedi",
            6: "dimanche"}

#: Which intake sections each session role sees. Staff (coordinators, workers) see them all.
SECTIONS = {
    "identite": "Identité",
    "criteres": "Critères de vulnérabilité",
    "situation": "Situation sociale, administrative et juridique",
    "information": "Information donnée",
    "orientations": "Orientations",
    "aides": "Aides",
}
SECTION_ROLES = {
    "accueil": ("identite", "criteres"),
    "entretien": ("identite", "criteres", "situation", "information", "orientations"),
    "medecin": ("identite", "criteres", "information", "orientations"),
    "infirmier": ("identite", "criteres", "information", "orientations"),
    "interprete": ("identite",),
}


def language_label(code: str | None) -> str:
    """A language code in French ('' when unknown)."""
    return LANGUAGES.get(code or "", code or "")
