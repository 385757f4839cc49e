"""Demo permanence: the Berriat drop-in, three mornings a week, with its volunteers.

Called by app.demo.load once teams and users exist. Everything is invented (names, aliases,
addresses, partners). Dates are relative to the day the demo is loaded: past sessions with
arrivals, intakes, orientations and aids for the figures; the coming sessions with shifts, one
of them short of volunteers. Idempotent: nothing is added to a team that already has a
schedule, and partners, criteria and volunteers are found by their natural keys.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.passwords import hash_password
from app.extensions import db
from app.permanences import rules, services
from app.permanences.models import (Aid, AidCriterion, Arrival, Closure, DropInPerson,
                                    DropInSession, Dysfunction, Intake, Orientation, Partner,
                                    ScheduleNeed, SessionNeed, SessionSchedule, Shift,
                                    ShiftCall, VolunteerProfile, VulnerabilityCriterion,
                                    paris_to_utc)
from app.timeutil import today_paris

TEAM = "Permanence Berriat"
PLACE = "Local de la permanence, 18 rue des Tisserands, Grenoble"
NEEDS = [("accueil", None, 2), ("entretien", None, 2), ("medecin", None, 1),
         ("infirmier", None, 1), ("interprete", "arabe", 1)]

#: More volunteers of the drop-in: (e-mail, name, roles, languages, experienced)
VOLUNTEERS = [
    ("helene.garnier@terrain.test", "Hélène Garnier", ["medecin", "accueil"], [], True),
    ("thomas.roy@terrain.test", "Thomas Roy", ["infirmier", "accueil"], [], True),
    ("amina.cherif@terrain.test", "Amina Chérif", ["interprete", "accueil"], ["arabe"], True),
    ("bernard.faure@terrain.test", "Bernard Faure", ["accueil", "entretien"], [], True),
    ("claire.dumas@terrain.test", "Claire Dumas", ["entretien", "accueil"], [], True),
    ("julien.caron@terrain.test", "Julien Caron", ["accueil"], [], False),
]
#: Profiles of the volunteers the main demo already has.
PROFILES = {
    "benevole@terrain.test": (["accueil", "entretien"], [], False),
    "mamadou.diallo@terrain.test": (["accueil", "entretien", "interprete"],
                                    ["peul", "bambara", "soninke"], True),
    "lucie.moreau@terrain.test": (["accueil"], [], False),
    "elodie.bernard@terrain.test": (["entretien", "accueil"], [], True),
}

#: shift teams: role -> e-mails, for the past sessions and the next three.
FULL = {"accueil": ["benevole@terrain.test", "julien.caron@terrain.test"],
        "entretien": ["claire.dumas@terrain.test", "elodie.bernard@terrain.test"],
        "medecin": ["helene.garnier@terrain.test"], "infirmier": ["thomas.roy@terrain.test"],
        "interprete": ["amina.cherif@terrain.test"]}
SHORT = {"accueil": ["bernard.faure@terrain.test", "lucie.moreau@terrain.test"],
         "entretien": ["claire.dumas@terrain.test"]}
PAST = {"accueil": ["benevole@terrain.test", "bernard.faure@terrain.test"],
        "entretien": ["claire.dumas@terrain.test", "elodie.bernard@terrain.test"],
        "medecin": ["helene.garnier@terrain.test"], "infirmier": ["thomas.roy@terrain.test"],
        "interprete": ["amina.cherif@terrain.test"]}

CRITERIA = [
    "Femme enceinte",
    "Enfant de moins de trois ans",
    "Mineur·e non accompagné·e",
    "Maladie sans aucun soin en cours",
    "À la rue sans solution pour la nuit",
    "Victime de violences",
    "Handicap ou mobilité réduite",
    "Plus de 65 ans",
]

#: (kind, rule, max per arrival)
AID_RULES = [
    ("transport", "Deux tickets de tram pour se rendre à une orientation (PASS, CPAM, "
                  "avocat·e) à plus de 2 km, si la personne n'a pas de titre de transport.", 4),
    ("hygiene", "Un kit par passage pour une personne à la rue, en squat ou en campement.", 1),
    ("telephone", "Recharge de 5 € quand une démarche en cours exige d'être joignable "
                  "(CPAM, OFPRA, avocat·e).", 1),
]

#: name -> (kind, address, phone, hours, languages, services, how to refer). All invented.
PARTNERS = {
    "PASS de l'hôpital des Alpes": (
        "pass", "Hôpital des Alpes, bâtiment C, 4 avenue des Glaciers, Grenoble",
        "04 00 00 12 30", "Lundi au vendredi, 8 h 30 – 16 h 30, sans rendez-vous le matin.",
        "interprétariat par téléphone (toutes langues)",
        "Consultations de médecine générale, soins infirmiers, médicaments et examens pour "
        "les personnes sans couverture maladie ; assistante sociale sur place.",
        "Sans rendez-vous avant 10 h. Apporter tout papier d'identité et les ordonnances. "
        "Donner la fiche de liaison de la permanence."),
    "CPAM — accueil des droits santé": (
        "cpam", "7 rue des Peupliers, Grenoble", "36 46",
        "Lundi, mardi, jeudi 8 h 30 – 12 h ; sur rendez-vous l'après-midi.", "français",
        "Ouverture des droits PUMa, CSS et AME, suivi des dossiers.",
        "Dossier AME : pièce d'identité, justificatif de domicile ou domiciliation, preuve de "
        "présence en France depuis plus de 3 mois, ressources. Prendre rendez-vous."),
    "Permanence juridique — droit des étrangers": (
        "juridique", "Maison du droit, 2 place des Tilleuls, Grenoble", "04 00 00 44 10",
        "Mercredi 14 h – 17 h, sur rendez-vous.", "français, anglais, espagnol",
        "Avocat·es bénévoles : demande d'asile, recours CNDA, titre de séjour pour soins, "
        "OQTF.", "Appeler pour un rendez-vous ; apporter toutes les décisions reçues."),
    "Point domiciliation Le Relais": (
        "domiciliation", "11 rue du Moulin, Grenoble", "04 00 00 27 81",
        "Mardi et vendredi, 9 h – 12 h.", "français, arabe",
        "Domiciliation administrative (élection de domicile) et retrait du courrier.",
        "Sans rendez-vous ; la personne vient elle-même avec une pièce d'identité si elle en "
        "a une."),
    "Accueil de nuit Les Cèdres": (
        "hebergement", "24 chemin des Cèdres, Grenoble", "115",
        "Tous les soirs, 19 h – 8 h. Orientation par le 115.", "français, anglais",
        "Hébergement d'urgence pour hommes seuls, repas du soir, douches.",
        "Appeler le 115 dans l'après-midi ; signaler les critères de vulnérabilité."),
    "Centre de santé mentale Parole d'exil": (
        "sante_mentale", "5 rue des Lavandières, Grenoble", "04 00 00 63 02",
        "Lundi au jeudi, sur rendez-vous.", "dari, pachto, arabe, anglais (interprètes)",
        "Consultations de psychologues et psychiatres pour les personnes exilées, "
        "psychotrauma.", "Fiche d'orientation remplie par la travailleuse sociale ; "
        "premier rendez-vous sous deux semaines."),
    "Épicerie solidaire La Passerelle": (
        "association", "9 rue des Artisans, Grenoble", "04 00 00 90 55",
        "Mercredi et samedi, 10 h – 13 h.", "français",
        "Colis alimentaires, vestiaire, produits d'hygiène.",
        "Sur orientation écrite de la permanence, valable trois mois."),
}

#: Past arrivals: (session index from the oldest, alias, language, interpreter, reason, urgent,
#: state, intake or None, orientations [(partner name or kind, outcome)], aids [(kind, qty)]).
#: The same alias twice is the same person coming back.
PAST_ARRIVALS = [
    (0, "Abdou", "peul", True, "droits_sante", False, "oriente",
     dict(criteria=["Maladie sans aucun soin en cours"], coverage="aucune", dom="aucune",
          asylum="spada", housing="rue", months=2),
     [("PASS de l'hôpital des Alpes", "realisee"), ("Point domiciliation Le Relais",
                                                    "realisee")], [("transport", 2)]),
    (0, "Mariam", "arabe", True, "soins", True, "oriente",
     dict(criteria=["Femme enceinte"], coverage="en_cours", dom="ccas", asylum="ofpra",
          housing="urgence", months=5),
     [("PASS de l'hôpital des Alpes", "realisee")], [("transport", 2), ("hygiene", 1)]),
    (0, "Tesfay", "tigrinya", True, "juridique", False, "oriente",
     dict(criteria=[], coverage="aucune", dom="aucune", asylum="dublin", housing="tiers",
          months=1),
     [("Permanence juridique — droit des étrangers", "en_attente")], []),
    (0, "Giorgi", "georgien", False, "information", False, "parti", None, [], []),
    (1, "Nour", "arabe", False, "droits_sante", False, "oriente",
     dict(criteria=[], coverage="aucune", dom="association", asylum="non_concerne",
          housing="tiers", months=8),
     [("CPAM — accueil des droits santé", "refusee")], []),
    (1, "Ahmad", "dari", True, "soins", False, "oriente",
     dict(criteria=["Victime de violences"], coverage="ame", dom="ccas", asylum="cnda",
          housing="squat", months=14),
     [("Centre de santé mentale Parole d'exil", "en_attente")], [("telephone", 1)]),
    (1, "Abdou", "peul", True, "suivi", False, "oriente",
     dict(criteria=["Maladie sans aucun soin en cours"], coverage="en_cours", dom="association",
          asylum="spada", housing="rue", months=2),
     [("CPAM — accueil des droits santé", "en_attente")], [("hygiene", 1)]),
    (2, "Aïssata", "bambara", True, "hebergement", True, "oriente",
     dict(criteria=["Enfant de moins de trois ans"], coverage="aucune", dom="aucune",
          asylum="a_enregistrer", housing="rue", months=0),
     [("Accueil de nuit Les Cèdres", "non_realisee"), ("hebergement", "realisee")],
     [("transport", 2)]),
    (2, "Samuel", "anglais", False, "aide", False, "oriente",
     dict(criteria=[], coverage="puma_css", dom="ccas", asylum="protection",
          housing="logement", months=30),
     [("Épicerie solidaire La Passerelle", "realisee")], []),
    (2, "Farid", "arabe", False, "droits_sante", False, "parti", None, [], []),
    (2, "Mariam", "arabe", True, "suivi", False, "oriente",
     dict(criteria=["Femme enceinte"], coverage="ame", dom="ccas", asylum="ofpra",
          housing="urgence", months=5),
     [], []),
]

#: (kind, days ago, structure, description) — facts without identity.
DYSFUNCTIONS = [
    ("delai_cpam", 8, "CPAM, accueil des droits santé",
     "Dossier AME déposé il y a plus de trois mois, toujours sans réponse malgré deux "
     "relances."),
    ("pieces_abusives", 12, "CPAM, accueil des droits santé",
     "Avis d'imposition exigé pour une demande d'AME alors que la personne n'a jamais été "
     "imposée en France."),
    ("refus_soins", 20, "Cabinet de radiologie du centre-ville",
     "Rendez-vous refusé au motif de l'AME."),
    ("refus_domiciliation", 33, "CCAS", "Domiciliation refusée faute de « lien avec la "
                                        "commune » alors que la personne y dort depuis "
                                        "deux mois."),
    ("delai_cpam", 41, "CPAM, accueil des droits santé", "Carte Vitale attendue depuis cinq "
                                                         "mois."),
    ("interpretariat", 47, "Urgences de l'hôpital des Alpes", "Consultation faite sans "
                                                              "interprète, en tigrinya."),
    ("refus_soins", 64, "Pharmacie de quartier", "Délivrance refusée sur présentation de "
                                                 "l'attestation AME."),
    ("pieces_abusives", 75, "Préfecture, accueil des étrangers",
     "Justificatif de domicile de moins de trois mois exigé en plus de la domiciliation."),
]


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the demo permanence's rows that are missing; how many of each were added."""
    added = {"volunteers": 0, "partners": 0, "sessions": 0, "shifts": 0, "arrivals": 0,
             "dysfunctions": 0}
    team = teams.get(TEAM)
    if team is None:
        return added
    today = today_paris(now)
    people = dict(users)
    password_hash = None
    for email, name, roles, langs, experienced in VOLUNTEERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            from app.demo import DEMO_PASSWORD

            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(email=email, display_name=name, password_hash=password_hash,
                        created_at=now)
            user.memberships = [Membership(team=team, role="volunteer", created_at=now)]
            db.session.add(user)
            db.session.flush()
            added["volunteers"] += 1
        people[email] = user
        _profile(team.id, user, roles, langs, experienced, now)
    for email, (roles, langs, experienced) in PROFILES.items():
        if email in people:
            _profile(team.id, people[email], roles, langs, experienced, now)

    partners = {}
    for name, (kind, address, phone, hours, langs, services_, how) in PARTNERS.items():
        row = db.session.scalar(select(Partner).where(Partner.team_id == team.id,
                                                      Partner.name == name))
        if row is None:
            row = Partner(team_id=team.id, name=name, kind=kind, address=address, phone=phone,
                          hours=hours, languages=langs, services=services_, how_to_refer=how,
                          updated_at=now)
            row.refresh_search_text()
            db.session.add(row)
            added["partners"] += 1
        partners[name] = row
    criteria = {}
    for position, label in enumerate(CRITERIA, start=1):
        row = db.session.scalar(select(VulnerabilityCriterion).where(
            VulnerabilityCriterion.team_id == team.id, VulnerabilityCriterion.label == label))
        if row is None:
            row = VulnerabilityCriterion(team_id=team.id, label=label, position=position,
                                         created_at=now)
            db.session.add(row)
        criteria[label] = row
    aid_rules = {}
    for kind, rule, most in AID_RULES:
        row = db.session.scalar(select(AidCriterion).where(AidCriterion.team_id == team.id,
                                                           AidCriterion.kind == kind))
        if row is None:
            row = AidCriterion(team_id=team.id, kind=kind, rule=rule, max_quantity=most,
                               valid_from=today - timedelta(days=200), created_at=now)
            db.session.add(row)
        aid_rules[kind] = row
    db.session.flush()

    if db.session.scalar(select(SessionSchedule.id).where(SessionSchedule.team_id == team.id)):
        return added  # the calendar, shifts and arrivals were made by an earlier load
    schedules = []
    for weekday in (0, 2, 4):
        sched = SessionSchedule(team_id=team.id, weekday=weekday, starts_at=time(9),
                                ends_at=time(12, 30), place=PLACE,
                                valid_from=today - timedelta(days=120), created_at=now)
        sched.needs = [ScheduleNeed(role=r, language=lang, count=n) for r, lang, n in NEEDS]
        db.session.add(sched)
        schedules.append(sched)
    db.session.flush()

    # Past sessions (the last two weeks), with their teams and arrivals.
    past = []
    for sched, day in rules.occurrences(schedules, today - timedelta(days=14),
                                        today - timedelta(days=1)):
        if rules.holiday_name(day):
            continue
        session = DropInSession(team_id=team.id, schedule_id=sched.id, day=day,
                                starts_at=sched.starts_at, ends_at=sched.ends_at, place=PLACE,
                                created_at=now - timedelta(days=30))
        session.needs = [SessionNeed(role=r, language=lang, count=n) for r, lang, n in NEEDS]
        db.session.add(session)
        past.append(session)
        added["sessions"] += 1
    db.session.flush()
    for i, session in enumerate(past):
        team_of_day = dict(PAST)
        if i == len(past) - 1:
            team_of_day["accueil"] = ["benevole@terrain.test", "lucie.moreau@terrain.test"]
        added["shifts"] += _shifts(session, team_of_day, people, now - timedelta(days=20))
    added["arrivals"] += _arrivals(team.id, past[-3:], partners, criteria, aid_rules, people)

    # The coming sessions: the first full, the second short of people, the third full.
    db.session.add(Closure(team_id=team.id, start_on=_next_august(today),
                           end_on=_next_august(today) + timedelta(days=20),
                           reason="Fermeture estivale", created_at=now))
    db.session.flush()
    added["sessions"] += services.extend_calendar(team.id, today, now=now)
    coming = list(db.session.scalars(
        select(DropInSession).where(DropInSession.team_id == team.id,
                                    DropInSession.day >= today,
                                    DropInSession.status == "ouverte")
        .order_by(DropInSession.day, DropInSession.starts_at).limit(3)))
    for session, team_of_day in zip(coming, (FULL, SHORT, FULL), strict=False):
        added["shifts"] += _shifts(session, team_of_day, people, now - timedelta(days=3))
    if len(coming) > 1:
        db.session.flush()
        db.session.refresh(coming[1])
        from app.permanences.queries import available_volunteers

        recipients = available_volunteers(coming[1], "medecin", None, today)
        coordinator = people.get("coordination.grenoble@terrain.test")
        if recipients:
            db.session.add(ShiftCall(session_id=coming[1].id, role="medecin",
                                     requested_by_id=coordinator.id if coordinator else None,
                                     requested_at=now - timedelta(hours=5),
                                     recipient_ids=[u.id for u in recipients]))

    for kind, ago, structure, description in DYSFUNCTIONS:
        db.session.add(Dysfunction(team_id=team.id, kind=kind,
                                   observed_on=today - timedelta(days=ago), structure=structure,
                                   description=description, created_at=now))
        added["dysfunctions"] += 1
    db.session.flush()
    return added


def _next_august(today):
    start = today.replace(month=8, day=4)
    return start if start > today else start.replace(year=today.year + 1)


def _profile(team_id, user, roles, langs, experienced, now) -> None:
    if db.session.scalar(select(VolunteerProfile.id).where(
            VolunteerProfile.team_id == team_id, VolunteerProfile.user_id == user.id)):
        return
    db.session.add(VolunteerProfile(team_id=team_id, user_id=user.id, roles=roles,
                                    languages=langs, experienced=experienced, updated_at=now))


def _shifts(session, by_role: dict, people: dict, signed_up_at) -> int:
    count = 0
    for role, emails in by_role.items():
        need = next((n for n in session.needs if n.role == role), None)
        for email in emails:
            user = people.get(email)
            if user is None:
                continue
            db.session.add(Shift(session_id=session.id, user_id=user.id, role=role,
                                 language=need.language if need and role == "interprete"
                                 else None, signed_up_at=signed_up_at))
            count += 1
    return count


def _arrivals(team_id, sessions, partners, criteria, aid_rules, people) -> int:
    persons: dict[str, DropInPerson] = {}
    number = 0
    tickets: dict[int, int] = {}
    interviewer = people.get("elodie.bernard@terrain.test")
    desk = people.get("benevole@terrain.test")
    count = 0
    for index, alias, lang, interp, reason, urgent, state, intake, orients, aids in \
            PAST_ARRIVALS:
        if index >= len(sessions):
            continue
        session = sessions[index]
        ticket = tickets[session.id] = tickets.get(session.id, 0) + 1
        arrived = paris_to_utc(session.day, time(9)) + timedelta(minutes=4 + 11 * ticket)
        person = persons.get(alias)
        if person is None:
            number += 1
            person = DropInPerson(team_id=team_id, number=number, alias=alias,
                                  languages=[lang], created_at=arrived)
            person.refresh_search_text()
            db.session.add(person)
            db.session.flush()
            persons[alias] = person
        arrival = Arrival(session_id=session.id, team_id=team_id, person_id=person.id,
                          ticket=ticket, arrived_at=arrived, language=lang,
                          interpreter_needed=interp, reason=reason, urgent=urgent, state=state,
                          state_at=arrived + timedelta(minutes=40),
                          interviewer_id=interviewer.id if interviewer and intake else None,
                          recorded_by_id=desk.id if desk else None)
        db.session.add(arrival)
        db.session.flush()
        count += 1
        if intake:
            since = session.day - timedelta(days=30 * intake["months"])
            row = Intake(arrival_id=arrival.id, health_coverage=intake["coverage"],
                         domiciliation=intake["dom"], asylum_stage=intake["asylum"],
                         housing=intake["housing"], in_france_since=since.replace(day=1),
                         information=["droits_sante", "soins"],
                         author_id=interviewer.id if interviewer else None,
                         updated_by_id=interviewer.id if interviewer else None,
                         created_at=arrived + timedelta(minutes=30),
                         updated_at=arrived + timedelta(minutes=45))
            row.criteria = [criteria[c] for c in intake["criteria"]]
            db.session.add(row)
        for target, outcome in orients:
            partner = partners.get(target)
            db.session.add(Orientation(
                arrival_id=arrival.id, partner_id=partner.id if partner else None,
                kind=partner.kind if partner else target, created_at=arrived,
                created_by_id=interviewer.id if interviewer else None, outcome=outcome,
                outcome_on=session.day + timedelta(days=2) if outcome != "en_attente"
                else None))
        for kind, qty in aids:
            db.session.add(Aid(arrival_id=arrival.id, criterion_id=aid_rules[kind].id,
                               kind=kind, quantity=qty, decided_at=arrived,
                               decided_by_id=interviewer.id if interviewer else None))
    return count
