"""The export as a readable French document: sections per table, labelled facts, staff names.

Used by the PDF (WeasyPrint) and by the archive reading page, from the same export data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import render_template

from app.formatting import date_fr, datetime_fr

#: table -> French section title, in the order the document shows them.
TITLES = {
    "household": "Ménage", "person": "Personnes", "enrolment": "Accompagnements",
    "barrier": "Freins", "goal": "Objectifs du projet personnalisé",
    "goal_step": "Étapes des objectifs", "right_application": "Droits et démarches",
    "note": "Notes et bilans", "visit": "Visites", "visit_report": "Comptes rendus de visite",
    "visit_worker": "Intervenant·es des visites", "report_conflict": "Comptes rendus en conflit",
    "asll_measure": "Mesures ASLL", "asll_link_sheet": "Fiches de lien",
    "contract": "Contrats de logement", "renewal": "Renouvellements", "rent_terms": "Loyers",
    "payment": "Paiements", "arrears_step": "Procédure d'impayé",
    "housing_application": "Candidatures", "admission_decision": "Décisions de commission",
    "inventory": "États des lieux", "inventory_room": "Pièces", "inventory_item": "Éléments",
    "inventory_photo": "Photos (liste)", "meter_reading": "Compteurs", "key_set": "Clés",
    "signature": "Signatures", "alert": "Alertes", "notification": "Notifications",
    # Someone received at a permanence.
    "dropin_person": "Fiche (et fiches fusionnées)", "arrival": "Passages à la permanence",
    "dropin_session": "Séances", "intake": "Entretiens",
    "vulnerability_criterion": "Critères de vulnérabilité relevés", "orientation": "Orientations",
    "partner": "Structures vers lesquelles la personne a été orientée", "aid": "Aides",
}

#: column -> French label (the column name is shown when it has none).
LABELS = {
    "name": "Nom", "first_name": "Prénom", "last_name": "Nom", "alias": "Alias",
    "address": "Adresse", "postcode": "Code postal", "city": "Ville", "phone": "Téléphone",
    "composition": "Composition", "resources_amount": "Ressources (€ / mois)",
    "resources_detail": "Origine des ressources", "situation": "Situation",
    "prescriber": "Prescripteur", "siao_ref": "Référence SIAO", "referent_id": "Référent·e",
    "created_at": "Créé le", "created_by_id": "Créé par", "birth_year": "Année de naissance",
    "birth_date": "Date de naissance", "birth_presumed": "Date présumée", "role": "Rôle",
    "languages": "Langues", "interpreter_needed": "Interprète nécessaire",
    "programme": "Dispositif", "entry_date": "Entrée", "exit_date": "Sortie",
    "exit_reason": "Motif de sortie", "exit_destination": "Destination", "category": "Catégorie",
    "description": "Description", "status": "Statut", "identified_on": "Identifié le",
    "resolved_on": "Levé le", "title": "Titre", "progress": "Avancement (%)",
    "set_on": "Fixé le", "target_on": "Échéance", "achieved_on": "Atteint le",
    "step_on": "Le", "comment": "Commentaire", "author_id": "Auteur·rice", "kind": "Type",
    "filed_on": "Déposé le", "decided_on": "Décidé le", "expires_on": "Expire le",
    "next_step": "Prochaine étape", "next_step_due": "Pour le",
    "confidentiality": "Confidentialité", "body": "Texte", "written_on": "Écrit le",
    "day": "Jour", "place": "Lieu", "place_detail": "Précision du lieu", "purpose": "Objet",
    "observations": "Observations", "next_steps": "Suites", "orientation": "Orientation",
    "duration_minutes": "Durée (min)", "follow_up_on": "Revoir le", "written_at": "Écrit le",
    "start_on": "Début", "ended_on": "Fin", "amount": "Montant", "paid_on": "Payé le",
    "method": "Mode", "reference": "Référence", "label": "Libellé", "due_on": "Échéance",
    "done_on": "Fait le", "note": "Note", "people_present": "Présent·es", "remarks": "Remarques",
    "signer_name": "Signataire", "refused_reason": "Refus de signer", "signed_at": "Signé le",
    "objectives": "Objectifs", "summary": "Synthèse", "month": "Mois", "funder": "Financeur",
    "notified_on": "Notifiée le", "rent": "Loyer", "charges": "Charges", "apl": "APL",
    "effective_on": "À partir du", "decision": "Décision", "reason": "Motif",
    "members": "Membres", "received_on": "Reçue le", "notes": "Notes",
    "interview_notes": "Notes d'entretien", "condition": "État", "meter": "Compteur",
    "number": "Numéro", "reading": "Relevé", "count": "Nombre", "sha256": "Empreinte",
    "size": "Taille (octets)", "taken_at": "Prise le", "worker_id": "Travailleur·se",
    "arrived_at": "Arrivée", "ticket": "Ticket", "language": "Langue", "urgent": "Urgent",
    "state": "Suite donnée", "state_at": "Le", "interviewer_id": "Entretien par",
    "recorded_by_id": "Enregistré par", "merged_at": "Fusionnée le",
    "merged_by_id": "Fusionnée par", "in_france_since": "En France depuis",
    "health_coverage": "Couverture santé", "domiciliation": "Domiciliation",
    "asylum_stage": "Demande d'asile", "housing": "Hébergement", "assessment": "Évaluation",
    "information": "Informations données", "information_note": "Précisions",
    "detail": "Précision", "outcome": "Suite", "outcome_on": "Suite le",
    "outcome_note": "Note sur la suite", "quantity": "Quantité", "decided_at": "Décidée le",
    "decided_by_id": "Décidée par", "starts_at": "Début", "ends_at": "Fin",
    "hours": "Horaires", "services": "Services", "how_to_refer": "Comment orienter",
}

#: Columns that mean nothing to the person (technical, or repeated by the structure).
HIDDEN = {"id", "household_id", "search_text", "version", "updated_at", "updated_by_id",
          "client_id", "payload_hash", "key", "claim", "team_id", "flat_id", "place_id",
          "contract_id", "visit_id", "goal_id", "inventory_id", "room_id", "item_id",
          "measure_id", "application_id", "alert_id", "user_id", "image", "position",
          "entry_id", "replaces_id", "renewal_of_id", "follows_id", "barrier_id",
          "person_id", "signed_hash", "seen", "worked_on", "payload", "merged_into_id",
          "session_id", "arrival_id", "criterion_id", "partner_id", "intake_id", "schedule_id",
          "closure_id", "needs_customised"}


def _codes() -> dict[tuple[str, str], dict]:
    """(table, column) -> {code: French label} for the case file's vocabularies."""
    from app.households import vocab
    from app.permanences import vocab as perm
    from app.programmes import PROGRAMMES

    return {
        ("dropin_person", "languages"): perm.LANGUAGES,
        ("arrival", "language"): perm.LANGUAGES, ("arrival", "reason"): perm.REASONS,
        ("arrival", "state"): perm.STATES,
        ("intake", "health_coverage"): perm.HEALTH_COVERAGE,
        ("intake", "domiciliation"): perm.DOMICILIATION,
        ("intake", "asylum_stage"): perm.ASYLUM_STAGES, ("intake", "housing"): perm.HOUSING,
        ("intake", "information"): perm.INFORMATION,
        ("orientation", "kind"): perm.PARTNER_KINDS,
        ("orientation", "outcome"): perm.ORIENTATION_OUTCOMES,
        ("partner", "kind"): perm.PARTNER_KINDS, ("aid", "kind"): perm.AID_KINDS,
        ("household", "composition"): vocab.COMPOSITIONS,
        ("person", "role"): vocab.PERSON_ROLES,
        ("enrolment", "programme"): PROGRAMMES,
        ("enrolment", "exit_destination"): vocab.DESTINATIONS,
        ("barrier", "category"): vocab.BARRIER_CATEGORIES,
        ("barrier", "status"): vocab.BARRIER_STATUSES,
        ("goal", "status"): vocab.GOAL_STATUSES,
        ("right_application", "kind"): vocab.RIGHT_KINDS,
        ("right_application", "status"): vocab.RIGHT_STATUSES,
        ("note", "kind"): vocab.NOTE_KINDS,
        ("note", "confidentiality"): vocab.CONFIDENTIALITY,
    }


@dataclass
class Section:
    """One table of the export, as labelled facts."""

    name: str
    title: str
    rows: list[list[tuple[str, str]]]


def _text(column: str, value, users: dict[str, str]) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if column.endswith("_id") or column in ("referent_id",):
        return users.get(str(value), f"n° {value}")
    if isinstance(value, str) and len(value) in (10, 19, 26) and value[4:5] == "-":
        try:
            if len(value) == 10:
                return date_fr(date.fromisoformat(value), "medium")
            return datetime_fr(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict) and "base64" in value:
        return "image jointe au fichier JSON"
    if isinstance(value, (list, dict)):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _coded(vocabulary: dict | None, column: str, value, users: dict[str, str]) -> str:
    """A value in French: a code (or a list of codes) through its vocabulary, else as text."""
    if vocabulary is None or not value:
        return _text(column, value, users)
    if isinstance(value, list):
        return ", ".join(str(vocabulary.get(v, v)) for v in value)
    return str(vocabulary.get(value, value))


def sections(data: dict) -> list[Section]:
    """The export's tables as French sections, known tables first."""
    users = data.get("users", {})
    tables = data.get("tables", {})
    names = [n for n in TITLES if n in tables] + sorted(n for n in tables if n not in TITLES)
    codes = _codes()
    out = []
    for name in names:
        rows = []
        for row in tables[name]:
            facts = [(LABELS.get(col, col), _coded(codes.get((name, col)), col, value, users))
                     for col, value in row.items() if col not in HIDDEN]
            rows.append([(k, v) for k, v in facts if v])
        out.append(Section(name, TITLES.get(name, name), rows))
    return out


def audit_lines(data: dict) -> list[dict]:
    """The export's audit rows with Paris times, for reading."""
    return [{"at": datetime_fr(datetime.fromisoformat(e["at"]), "short"),
             "actor": e["actor"] or "—", "label": e["label"]} for e in data.get("audit", [])]


def render_pdf(data: dict, household_name: str) -> bytes:
    """The export as a French PDF."""
    import weasyprint  # heavy import (Pango): only when a PDF is asked for

    html = render_template("privacy/export_pdf.html", data=data, name=household_name,
                           sections=sections(data), audit=audit_lines(data))
    return weasyprint.HTML(string=html).write_pdf()
