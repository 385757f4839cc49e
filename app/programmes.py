"""The programmes (dispositifs) a team can run, and the roles a person can hold in a team."""

#: programme code -> French label, in the order the interface lists them.
PROGRAMMES = {
    "iml": "IML — intermédiation locative",
    "asll": "ASLL — accompagnement social lié au logement",
    "lda": "Logement d'abord",
    "village": "Village de l'insertion",
    "permanence": "Permanence médico-psychosociale",
    "relogement": "Relogement",
    "lieu_de_vie": "Lieu de vie collectif",
}

#: role code -> French label.
ROLES = {
    "admin": "Administrateur·rice",
    "coordinator": "Coordinateur·rice",
    "worker": "Travailleur·se social·e",
    "volunteer": "Bénévole",
}

#: Roles that may read and write case files (households, people, notes, rights).
CASE_ROLES = ("coordinator", "worker")
#: Roles that manage a team's work (caseload, deadlines, figures).
LEAD_ROLES = ("coordinator",)
