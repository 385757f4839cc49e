"""Writing to the audit trail. Callers commit with the rest of their transaction."""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request

from app.audit.models import AuditEvent
from app.extensions import db
from app.timeutil import utcnow

#: action code -> French label for the journal screen.
ACTION_LABELS = {
    "auth.login": "Connexion",
    "auth.login_failed": "Échec de connexion",
    "auth.login_throttled": "Connexion bloquée (trop d'échecs)",
    "auth.logout": "Déconnexion",
    "auth.session_expired": "Session expirée",
    "auth.password_changed": "Mot de passe changé",
    "auth.passkey_failed": "Échec de connexion par clé d'accès",
    "passkey.register": "Clé d'accès enregistrée",
    "passkey.remove": "Clé d'accès supprimée",
    "passkey.sign_count_rejected": "Clé d'accès refusée (compteur en recul : copie possible)",
    "passkey.reset": "Clés d'accès et sessions réinitialisées",
    "settings.passkey_policy": "Règle des clés d'accès modifiée",
    "invitation.create": "Invitation créée",
    "invitation.accept": "Invitation acceptée",
    "invitation.revoke": "Invitation révoquée",
    "user.deactivate": "Compte désactivé",
    "user.reactivate": "Compte réactivé",
    "membership.add": "Rôle ajouté",
    "membership.remove": "Rôle retiré",
    "access.denied": "Accès refusé",
    "household.list": "Liste des ménages consultée",
    "household.read": "Ménage consulté",
    "audit.read": "Journal d'audit consulté",
    "household.create": "Ménage créé",
    "household.update": "Ménage modifié",
    "household.referent": "Référent·e changé·e",
    "person.create": "Personne ajoutée",
    "person.update": "Personne modifiée",
    "enrolment.create": "Accompagnement ouvert",
    "enrolment.end": "Accompagnement terminé",
    "barrier.create": "Frein ajouté",
    "barrier.update": "Frein modifié",
    "goal.create": "Objectif ajouté",
    "goal.update": "Objectif modifié",
    "goal.progress": "Avancement d'objectif",
    "right.create": "Droit ajouté",
    "right.update": "Droit modifié",
    "note.create": "Note écrite",
    "note.update": "Note modifiée",
    "visit.plan": "Visite planifiée",
    "visit.status": "Statut de visite changé",
    "visit.report": "Compte rendu de visite reçu",
    "visit.report_conflict": "Compte rendu en conflit",
    "visit.conflict_resolved": "Conflit de compte rendu résolu",
    "flat.list": "Liste des logements consultée",
    "flat.read": "Logement consulté",
    "flat.create": "Logement ajouté",
    "flat.update": "Logement modifié",
    "place.create": "Place ajoutée (lieu collectif)",
    "contract.read": "Contrat de logement consulté",
    "measure.notify": "Mesure ASLL enregistrée",
    "measure.read": "Mesure ASLL consultée",
    "measure.assign": "Mesure ASLL attribuée",
    "measure.contract": "Contrat ASLL enregistré",
    "measure.end": "Mesure ASLL terminée ou renouvelée",
    "measure.sheet": "Fiche de lien écrite",
    "measure.sheet_read": "Fiche de lien consultée",
    "measure.sheet_pdf": "Fiche de lien téléchargée",
    "measure.batch": "Envoi du lot au financeur enregistré",
    "measure.edit": "Mesure ASLL corrigée",
    "measure.batch_export": "Lot du financeur exporté",
    "dashboard.view": "Tableau de bord consulté",
    "dashboard.indicators": "Indicateurs consultés",
    "dashboard.list": "Liste du tableau de bord consultée",
    "dashboard.commission": "Commission d'admission consultée",
    "dashboard.export": "Chiffres exportés (CSV, Excel ou PDF)",
    "contract.sign": "Contrat de logement signé",
    "contract.renew": "Contrat renouvelé",
    "contract.end": "Sortie du logement enregistrée",
    "contract.glide": "Glissement du bail enregistré",
    "contract.siao_exit": "Sortie déclarée au SIAO",
    "contract.rent_change": "Loyer ou APL révisé",
    "payment.create": "Paiement de loyer enregistré",
    "payment.cancel": "Paiement de loyer annulé",
    "arrears.step": "Étape de procédure d'impayé",
    "receipt.print": "Quittance éditée",
    "household.housing_read": "Logement d'un ménage consulté",
    "housing.deadlines": "Échéances logement consultées",
    "application.list": "Candidatures consultées",
    "application.read": "Candidature consultée",
    "application.create": "Candidature enregistrée",
    "application.interview": "Entretien d'admissibilité enregistré",
    "application.decision": "Décision de commission d'admission",
    "application.withdraw": "Candidature retirée",
    "application.entry": "Entrée dans un logement (admission)",
    # Permanences
    "permanence.settings": "Règles des créneaux de permanence modifiées",
    "permanence.schedule": "Créneau récurrent de permanence enregistré",
    "permanence.schedule_end": "Créneau récurrent de permanence arrêté",
    "permanence.session_add": "Permanence exceptionnelle ajoutée",
    "permanence.session_edit": "Permanence modifiée (horaires, besoins)",
    "permanence.session_cancel": "Permanence annulée",
    "permanence.session_reopen": "Permanence rouverte",
    "permanence.closure": "Fermeture de la permanence enregistrée",
    "permanence.closure_remove": "Fermeture de la permanence supprimée",
    "permanence.figures": "Chiffres de la permanence consultés",
    "shift.sign_up": "Inscription à un créneau de permanence",
    "shift.cancel": "Créneau de permanence annulé",
    "shift.call": "Appel aux bénévoles disponibles",
    "volunteer.profile": "Profil de bénévole modifié",
    "queue.read": "File d'attente de la permanence consultée",
    "arrival.create": "Arrivée enregistrée à la permanence",
    "arrival.state": "Arrivée : état changé dans la file",
    "intake.read": "Entretien de permanence consulté",
    "intake.save": "Entretien de permanence enregistré",
    "orientation.create": "Orientation vers un partenaire",
    "orientation.outcome": "Suite d'une orientation enregistrée",
    "aid.grant": "Aide accordée",
    "aid_criterion.set": "Critère d'attribution d'aide fixé",
    "criterion.add": "Critère de vulnérabilité ajouté",
    "criterion.retire": "Critère de vulnérabilité retiré",
    "criterion.restore": "Critère de vulnérabilité rétabli",
    "dropin_person.read": "Personne accueillie consultée (permanence)",
    "dropin_person.search": "Recherche de personnes accueillies",
    "dropin_person.merge": "Fiches de personne accueillie fusionnées",
    "partner.create": "Partenaire ajouté à l'annuaire",
    "partner.update": "Partenaire modifié dans l'annuaire",
    "dysfunction.create": "Dysfonctionnement signalé (anonyme)",
    "alerts.view": "Alertes consultées",
    "alert.acknowledge": "Alerte marquée comme vue",
    "alert.reopen": "Alerte remise dans la liste",
    "alert.snooze": "Alerte reportée",
    "alert.assign": "Alerte confiée",
    "alert.settings": "Délais des alertes modifiés",
    "push.subscribe": "Notifications activées sur un appareil",
    "push.unsubscribe": "Notifications désactivées sur un appareil",
    "push.test": "Notification d'essai envoyée",
    "push.preferences": "Préférences de notification modifiées",
    # Privacy (app/privacy)
    "privacy.export": "Données personnelles exportées (droit d'accès)",
    "privacy.anonymise": "Dossier anonymisé",
    "privacy.archive": "Dossier archivé (fin de la durée active)",
    "privacy.unarchive": "Fiche archivée de nouveau active (retour à la permanence)",
    "privacy.retention_run": "Tâche de conservation passée",
    "privacy.retention_policy": "Durées de conservation modifiées",
    "privacy.archive_grant": "Accès aux archives accordé",
    "privacy.archive_revoke": "Accès aux archives retiré",
    "household.archive_list": "Dossiers archivés listés",
    "household.archive_read": "Dossier archivé consulté",
    "auth.session_revoked": "Appareil déconnecté par un·e administrateur·rice",
    # Relogement
    "relogement.list": "Opérations de relogement consultées",
    "relogement.operation_read": "Opération de relogement consultée",
    "relogement.operation_create": "Opération de relogement créée",
    "relogement.operation_update": "Opération de relogement modifiée",
    "relogement.building_create": "Immeuble ajouté à une opération de relogement",
    "relogement.building_update": "Immeuble d'une opération de relogement modifié",
    "relogement.case_read": "Ménage à reloger consulté",
    "relogement.case_create": "Ménage ajouté à une opération de relogement",
    "relogement.case_update": "Situation ou souhaits de relogement modifiés",
    "relogement.proposal": "Proposition de relogement enregistrée",
    "relogement.answer": "Réponse à une proposition de relogement",
    "relogement.outcome": "Déménagement ou issue du relogement enregistrés",
    "relogement.mission_create": "Mission confiée à un prestataire",
    "relogement.mission_update": "Mission d'un prestataire modifiée",
    # Logbook (journal de bord / d'expérimentation)
    "logbook.read": "Journal de bord consulté",
    "logbook.entry_read": "Entrée du journal de bord consultée",
    "logbook.create": "Entrée du journal de bord écrite",
    "logbook.update": "Entrée du journal de bord modifiée",
    "logbook.conflict": "Entrée du journal de bord en conflit",
    "logbook.conflict_resolved": "Conflit d'entrée du journal de bord réglé",
    "logbook.export": "Journal de bord exporté",
    "logbook.flat_check": "Contrôle du savoir-habiter enregistré",
    "logbook.settings": "Délai des contrôles de logement modifié",
}


def record(
    action: str,
    *,
    actor=None,
    object_type: str | None = None,
    object_id: int | None = None,
    team_id: int | None = None,
    subject: str | None = None,
    detail: dict | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to the current transaction (the caller commits)."""
    event = AuditEvent(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        team_id=team_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event


def label(action: str) -> str:
    """The French label of an action code."""
    return ACTION_LABELS.get(action, action)


def commit_read() -> None:
    """Commit a read's audit row without expiring what the page has already loaded.

    A read writes nothing but its audit row, so the rows it loaded are still true after the
    commit; expiring them (SQLAlchemy's default) would reload each one, a query apiece, while
    the template renders.
    """
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
