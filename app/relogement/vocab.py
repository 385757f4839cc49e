"""Vocabularies of the rehousing tool (code -> French label), in the order forms list them."""

#: Programme framing the operation.
PROGRAMMES = {
    "npnru": "NPNRU (ANRU)",
    "pnrqad": "PNRQAD",
    "opah_ru": "OPAH-RU",
    "ori": "ORI (restauration immobilière)",
    "rhi_thirori": "RHI-THIRORI",
    "contrat_ville": "Contrat de ville",
    "autre": "Autre",
}

#: Where an operation stands.
OPERATION_STATUSES = {
    "preparation": "En préparation",
    "en_cours": "En cours",
    "suspendue": "Suspendue",
    "terminee": "Terminée",
}

#: What is planned for a building.
WORKS = {"demolition": "Démolition", "rehabilitation": "Réhabilitation lourde"}

#: How the household occupies its current home.
TENURES = {
    "locataire_social": "Locataire du parc social",
    "locataire_prive": "Locataire du parc privé",
    "proprietaire": "Propriétaire occupant",
    "heberge": "Hébergé·e chez un tiers",
    "sans_titre": "Occupant·e sans titre",
}

#: Size of the dwelling wished or proposed.
TYPOLOGIES = {f"T{n}": f"T{n}" for n in range(1, 7)}

#: Answer to a proposal.
ANSWERS = {"en_attente": "En attente", "acceptee": "Acceptée", "refusee": "Refusée"}

#: Why a proposal was refused.
REFUSAL_REASONS = {
    "localisation": "Quartier ou localisation",
    "typologie": "Taille du logement (typologie)",
    "loyer": "Loyer ou charges trop élevés",
    "etat": "État du logement",
    "accessibilite": "Étage, ascenseur, accessibilité",
    "ecole_travail": "Trop loin de l'école ou du travail",
    "voisinage": "Environnement, voisinage",
    "sante": "Raisons de santé",
    "desistement": "Désistement après acceptation",
    "bailleur": "Refus du bailleur ou de la commission d'attribution",
    "autre": "Autre motif",
}

#: How a household's rehousing ended.
OUTCOMES = {"reloge": "Relogé·e", "parti_sans_solution": "Parti·e sans solution",
            "autre": "Autre issue"}

#: Where a household stands (derived, never stored; see queries.case_status()).
CASE_STATUSES = {
    "sans_proposition": "Sans proposition",
    "en_attente": "Proposition en attente",
    "refusees": "Propositions refusées",
    "acceptee": "Proposition acceptée",
    "reloge": "Relogé·e",
    "parti_sans_solution": "Parti·e sans solution",
    "autre": "Autre issue",
}

#: Short labels of the statuses, for the filter chips of an operation's households.
CASE_STATUS_CHIPS = {
    "sans_proposition": "Sans proposition",
    "en_attente": "En attente",
    "refusees": "Refusées",
    "acceptee": "Acceptée",
    "reloge": "Relogés",
    "parti_sans_solution": "Partis sans solution",
    "autre": "Autres issues",
}

#: What an outside provider is asked to do.
MISSION_KINDS = {
    "enquete_sociale": "Enquête sociale (diagnostic des ménages)",
    "mous_relogement": "MOUS relogement",
    "accompagnement_relogement": "Accompagnement au relogement",
    "accompagnement_renforce": "Accompagnement social renforcé",
    "demenagement": "Organisation du déménagement",
    "autre": "Autre mission",
}

#: Where a mission stands.
MISSION_STATUSES = {
    "commandee": "Commandée",
    "en_cours": "En cours",
    "terminee": "Terminée",
    "annulee": "Annulée",
}


def ordinal(rank: int) -> str:
    """'1re', '2e', '3e' (French ordinal of a proposal's rank)."""
    return "1re" if rank == 1 else f"{rank}e"
