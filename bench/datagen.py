"""A believable Terrain dataset of any size, the same for the same seed.

    python -m bench.datagen --households 20000 --seed 1 --database-url sqlite:///bench.db

Scale follows the households: one flat per 10 households, 10 visits per household over the past
year (and the next two weeks), one team per 700 households and at least three (IML, ASLL,
permanence, then Logement d'abord, relogement, village, lieu de vie...), a worker per 40
households (CASELOAD), permanences three mornings a week over a year with shifts, arrivals, intakes and orientations, ASLL measures with
their monthly fiches. Rows go in by bulk inserts through SQLAlchemy Core (no ORM objects, no
rules run), on SQLite or PostgreSQL. Nothing here calls the clock: `today` is an argument
(the CLI passes the real today so "Aujourd'hui" has visits).

Every bench user signs in with BENCH_PASSWORD: coordinators are coord<N>@bench.test, workers
ts<N>@bench.test, volunteers benevole<N>@bench.test, the administrator admin@bench.test.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal

from sqlalchemy import Table, create_engine, func, inspect, insert, select, text

BENCH_PASSWORD = "terrain-bench-2026"
CHUNK = 5_000
#: Households per team: a team's size stays the same whatever the total, so a page that reads
#: one team's data costs the same at 2,000 and at 20,000 households unless a query scans more
#: than the team's rows (what the load benchmark's growth budget is about).
TEAM_HOUSEHOLDS = 700
#: Households followed by one worker: a full-time ASLL or IML worker follows 25 to 40 (here the
#: upper end), so a worker's "Aujourd'hui" lists the few visits of a day, not a dozen.
CASELOAD = 40

FIRST = ["Amina", "Karim", "Sophie", "Lucas", "Fatou", "Mamadou", "Léa", "Hugo", "Nadia",
         "Yanis", "Chloé", "Ibrahim", "Manon", "Omar", "Inès", "Théo", "Aïcha", "Nathan",
         "Samira", "Moussa", "Camille", "Youssef", "Julie", "Bilal", "Clara", "Ousmane",
         "Sarah", "Adama", "Emma", "Mehdi", "Zoé", "Aminata", "Louis", "Hawa", "Jade", "Rayan",
         "Élodie", "Seydou", "Mathilde", "Nour", "Paul", "Kadiatou", "Anaïs", "Walid"]
LAST = ["Martin", "Bernard", "Diallo", "Traoré", "Petit", "Benali", "Durand", "Leroy",
        "Moreau", "Nguyen", "Camara", "Lefèvre", "Haddad", "Roux", "Fournier", "Cissé",
        "Girard", "Bonnet", "Mansouri", "Lambert", "Fontaine", "Keïta", "Chevalier", "Rousseau",
        "Benkirane", "Blanc", "Guerin", "Sow", "Muller", "Henry", "Kone", "Perrin", "Morel",
        "Ait Ali", "Garnier", "Faure", "Bouzid", "Mercier", "Dupuis", "Sylla", "Lemoine"]
STREETS = ["rue des Lilas", "avenue Jean Jaurès", "chemin des Vignes", "rue Victor Hugo",
           "boulevard de la Liberté", "rue du Moulin", "impasse des Tilleuls", "rue Pasteur",
           "allée des Peupliers", "rue de la République", "place du Marché", "rue Voltaire"]
SITES = [("Toulouse", "31000"), ("Grenoble", "38000"), ("Lyon", "69007")]
#: programmes in the order teams are created (one team per TEAM_HOUSEHOLDS households).
PROGRAMMES = ["iml", "asll", "permanence", "lda", "iml", "asll", "relogement", "village", "iml",
              "lieu_de_vie"]
HOUSING_PROGRAMMES = {"iml", "lda", "relogement", "village", "lieu_de_vie"}
ROOMS = {"T1": ["Entrée", "Séjour", "Cuisine", "Salle de bain", "WC"],
         "T2": ["Entrée", "Séjour", "Cuisine", "Chambre 1", "Salle de bain", "WC"],
         "T3": ["Entrée", "Séjour", "Cuisine", "Chambre 1", "Chambre 2", "Salle de bain", "WC"],
         "T4": ["Entrée", "Séjour", "Cuisine", "Chambre 1", "Chambre 2", "Chambre 3",
                "Salle de bain", "WC"]}
ITEMS = ["Sol", "Murs", "Plafond", "Porte", "Fenêtres", "Électricité", "Chauffage"]
PURPOSES = ["Point sur le budget", "Visite à domicile", "Dossier APL", "Suivi du projet",
            "Accompagnement CAF", "Entretien mensuel", "Préparation de la commission",
            "Point santé", "Recherche d'emploi", "Démarches FSL"]
OBSERVATIONS = ["Logement bien entretenu, ménage serein.", "Courrier en retard trié ensemble.",
                "Inquiétudes sur le budget de fin de mois.", "Rendez-vous CAF préparé.",
                "Enfants scolarisés, bonne dynamique.", "Démarches santé à relancer.",
                "Visite courte, personne fatiguée.", "Dossier FSL complété sur place."]
CONDITIONS = ["neuf", "bon", "bon", "bon", "usage", "usage", "mauvais"]
LANGS = ["francais", "arabe", "dari", "pachto", "tigrinya", "peul", "bambara", "anglais",
         "espagnol", "russe", "georgien", "albanais", "soninke", "wolof"]
REASONS = ["soins", "droits_sante", "domiciliation", "hebergement", "juridique", "aide",
           "information", "suivi"]
ORIENTATION_KINDS = ["pass", "centre_sante", "cpam", "juridique", "hebergement", "domiciliation",
                     "association"]


@dataclass
class Sizes:
    """How many of each thing, derived from the number of households."""

    households: int
    teams: int = 0
    workers_per_team: int = 0
    flats: int = 0
    visits: int = 0

    def __post_init__(self):
        self.teams = max(len(PROGRAMMES[:3]), round(self.households / TEAM_HOUSEHOLDS))
        case_teams = sum(PROGRAMMES[t % len(PROGRAMMES)] != "permanence" for t in range(self.teams))
        self.workers_per_team = max(2, round(self.households / case_teams / CASELOAD))
        self.flats = max(5, self.households // 10)
        self.visits = self.households * 10


@dataclass
class Rows:
    """Rows waiting to be inserted, by table, plus id counters."""

    tables: dict = field(default_factory=lambda: defaultdict(list))
    ids: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, table: str, **row) -> int:
        """Queue a row; give it the next id unless it brings one (or has none)."""
        if "id" not in row and table not in NO_ID:
            self.ids[table] += 1
            row["id"] = self.ids[table]
        self.tables[table].append(row)
        return row.get("id", 0)


NO_ID = {"visit_worker", "intake_criterion"}


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _fold(text_: str) -> str:
    from app.households.text import fold

    return fold(text_)


def build(rows: Rows, households: int, seed: int, today: date, password_hash: str) -> Sizes:
    """Make every row in memory (deterministic for a given seed and today)."""
    rng = random.Random(seed)
    size = Sizes(households)
    now = datetime.combine(today, dtime(7, 30))
    add = rows.add

    for i, (city, _pc) in enumerate(SITES):
        add("site", id=i + 1, name=f"Site de {city}", city=city)
    teams = []
    for t in range(size.teams):
        programme = PROGRAMMES[t % len(PROGRAMMES)]
        site = t % len(SITES) + 1
        tid = add("team", name=f"{programme.upper()} {SITES[site - 1][0]} {t + 1}",
                  programme=programme, site_id=site)
        teams.append((tid, programme, site))

    def user(email: str, display: str) -> int:
        return add("app_user", email=email, display_name=display, password_hash=password_hash,
                   active=True, session_version=0, created_at=now - timedelta(days=400),
                   last_login_at=None)

    admin = user("admin@bench.test", "Admin Bench")
    workers: dict[int, list[int]] = {}
    coordinators: dict[int, int] = {}
    volunteers: dict[int, list[int]] = {}
    nw = nc = nv = 0
    for tid, programme, _site in teams:
        add("membership", user_id=admin, team_id=tid, role="admin", created_at=now)
        nc += 1
        first, last = _name(rng)
        coordinators[tid] = user(f"coord{nc}@bench.test", f"{first} {last}")
        add("membership", user_id=coordinators[tid], team_id=tid, role="coordinator",
            created_at=now)
        workers[tid] = []
        for _ in range(size.workers_per_team if programme != "permanence" else 2):
            nw += 1
            first, last = _name(rng)
            uid = user(f"ts{nw}@bench.test", f"{first} {last}")
            workers[tid].append(uid)
            add("membership", user_id=uid, team_id=tid, role="worker", created_at=now)
        if programme == "permanence":
            volunteers[tid] = []
            for _ in range(20):
                nv += 1
                first, last = _name(rng)
                uid = user(f"benevole{nv}@bench.test", f"{first} {last[0]}.")
                volunteers[tid].append(uid)
                add("membership", user_id=uid, team_id=tid, role="volunteer", created_at=now)

    case_teams = [t for t in teams if t[1] != "permanence"]
    housing_teams = [t for t in case_teams if t[1] in HOUSING_PROGRAMMES] or case_teams

    # -- households, people, enrolments, case-file details ---------------------------------
    household_team: dict[int, int] = {}
    household_people: dict[int, list[int]] = {}
    by_team: dict[int, list[int]] = defaultdict(list)
    for h in range(households):
        tid, programme, site = case_teams[h % len(case_teams)]
        city, postcode = SITES[site - 1]
        first, last = _name(rng)
        composition = rng.choice(["seul", "seul", "couple", "couple_enfants", "monoparental"])
        name = f"M. {last}" if composition == "seul" else f"Famille {last}"
        entry = today - timedelta(days=rng.randrange(30, 1100))
        people = [(first, last, "demandeur", rng.randrange(1950, 2004))]
        if composition in ("couple", "couple_enfants"):
            people.append((rng.choice(FIRST), last, "conjoint", rng.randrange(1955, 2004)))
        if composition in ("couple_enfants", "monoparental"):
            for _ in range(rng.randrange(1, 4)):
                people.append((rng.choice(FIRST), last, "enfant", rng.randrange(2008, 2025)))
        words = " ".join([name] + [f"{p[0]} {p[1]}" for p in people])
        hid = add("household", team_id=tid, name=name, referent_id=rng.choice(workers[tid]),
                  address=f"{rng.randrange(1, 120)} {rng.choice(STREETS)}", postcode=postcode,
                  city=city, phone=f"06{rng.randrange(10**7, 10**8)}", composition=composition,
                  resources_amount=Decimal(rng.randrange(500, 1900)),
                  resources_detail=rng.choice(["RSA", "RSA, APL", "AAH", "Salaire, APL", "ARE"]),
                  situation="Hébergé·e chez un tiers avant l'entrée dans le dispositif.",
                  prescriber=rng.choice(["SIAO", "CCAS", "Service social départemental"]),
                  siao_ref=f"SIAO-{rng.randrange(10**5, 10**6)}", search_text=_fold(words)[:600],
                  created_at=datetime.combine(entry, dtime(9)), created_by_id=coordinators[tid],
                  version=1, updated_at=now, updated_by_id=None)
        household_team[hid] = tid
        by_team[tid].append(hid)
        household_people[hid] = []
        for first_, last_, role, year in people:
            household_people[hid].append(add(
                "person", household_id=hid, first_name=first_, last_name=last_, alias=None,
                birth_year=year, birth_date=None, birth_presumed=False, role=role,
                languages="français", interpreter_needed=False, phone=None))
        ended = rng.random() < 0.12
        add("enrolment", household_id=hid, team_id=tid, programme=programme, entry_date=entry,
            exit_date=today - timedelta(days=rng.randrange(1, 29)) if ended else None,
            exit_reason="Fin d'accompagnement" if ended else None,
            exit_destination="logement_autonome" if ended else None, version=1, updated_at=now,
            updated_by_id=None)
        if rng.random() < 0.4:
            bid = add("barrier", household_id=hid, category=rng.choice(
                ["budget", "sante", "emploi", "droits", "administratif"]),
                description="Frein repéré lors de l'évaluation.", status="en_cours",
                identified_on=entry + timedelta(days=20), resolved_on=None, version=1,
                updated_at=now, updated_by_id=None)
            add("goal", household_id=hid, barrier_id=bid, title="Stabiliser le budget",
                description=None, status="en_cours", progress=rng.randrange(0, 100, 10),
                set_on=entry + timedelta(days=25), target_on=today + timedelta(days=90),
                achieved_on=None, version=1, updated_at=now, updated_by_id=None)
        for n in range(rng.randrange(0, 3)):
            add("note", household_id=hid, author_id=rng.choice(workers[tid]), kind="note",
                confidentiality="equipe", title=f"Point de situation {n + 1}",
                body="Échange avec le ménage sur ses démarches en cours.",
                written_on=today - timedelta(days=rng.randrange(1, 300)), created_at=now,
                version=1, updated_at=now, updated_by_id=None)
        if rng.random() < 0.3:
            add("right_application", household_id=hid, person_id=household_people[hid][0],
                kind=rng.choice(["apl", "fsl_acces", "dls", "css"]), status="depose",
                filed_on=today - timedelta(days=rng.randrange(5, 120)), decided_on=None,
                expires_on=None, next_step="Relancer la CAF", next_step_due=today
                + timedelta(days=rng.randrange(1, 40)), comment=None, created_at=now, version=1,
                updated_at=now, updated_by_id=None)

    # -- flats, contracts, rent, payments, inventories --------------------------------------
    flat_kinds = ["T1", "T2", "T2", "T3", "T3", "T4"]
    housed = []
    for f in range(size.flats):
        tid, _programme, site = housing_teams[f % len(housing_teams)]
        city, postcode = SITES[site - 1]
        kind = rng.choice(flat_kinds)
        occupied = rng.random() < 0.9
        fid = add("flat", team_id=tid, address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
                  postcode=postcode, city=city, kind=kind,
                  surface_m2=float(20 + 12 * int(kind[1])), floor=rng.randrange(0, 7),
                  status="occupe" if occupied else "vacant", name=None,
                  landlord_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                  landlord_contact=None, landlord_rent=Decimal(380 + 90 * int(kind[1])),
                  landlord_charges=Decimal(60), water_meter=f"EAU-{f:06d}",
                  electricity_meter=f"PDL-{f:08d}", gas_meter=None, equipment=None,
                  managed_since=today - timedelta(days=1200), returned_on=None, audience=None,
                  animals_allowed=False, rules=None, created_at=now - timedelta(days=1200))
        if occupied and by_team[tid]:
            housed.append((fid, tid, kind, by_team[tid][(f // len(housing_teams))
                                                        % len(by_team[tid])]))
    for fid, tid, kind, hid in housed:
        # A running sub-lease; one in five flats also had an earlier household.
        start = today - timedelta(days=rng.randrange(10, 530))
        if rng.random() < 0.2:
            before = start - timedelta(days=rng.randrange(200, 540))
            old_hid = by_team[tid][rng.randrange(len(by_team[tid]))]
            old = add("contract", team_id=tid, flat_id=fid, place_id=None,
                      household_id=old_hid, kind="sous_location", start_on=before,
                      term_months=6, glide_planned_on=None, glided_on=None, exit_planned_on=None,
                      siao_declared_on=start - timedelta(days=40),
                      ended_on=start - timedelta(days=rng.randrange(2, 30)),
                      exit_reason="relogement", exit_destination="logement_autonome",
                      exit_note=None, created_at=now, created_by_id=coordinators[tid],
                      ended_by_id=coordinators[tid])
            _inventory(rows, rng, tid, fid, old, old_hid, kind, before, coordinators[tid], now)
        cid = add("contract", team_id=tid, flat_id=fid, place_id=None, household_id=hid,
                  kind=rng.choice(["sous_location"] * 4 + ["bail_glissant"]), start_on=start,
                  term_months=6, glide_planned_on=None, glided_on=None, exit_planned_on=None,
                  siao_declared_on=None, ended_on=None, exit_reason=None, exit_destination=None,
                  exit_note=None, created_at=now, created_by_id=coordinators[tid],
                  ended_by_id=None)
        renewals = min(2, (today - start).days // 182)
        for n in range(renewals):
            add("renewal", contract_id=cid, number=n + 1,
                decided_on=start + timedelta(days=150 + 182 * n),
                decided_by="Commission IML", reason="Projet de relogement en cours",
                new_end_on=start + timedelta(days=182 * (n + 2) - 1),
                recorded_by_id=coordinators[tid], recorded_at=now)
        rent = Decimal(300 + 60 * int(kind[1]))
        add("rent_terms", contract_id=cid, effective_on=start, rent=rent, charges=Decimal(50),
            apl=Decimal(0), note=None, recorded_by_id=coordinators[tid], recorded_at=now)
        late = rng.random() < 0.1
        day = start
        while day < today - timedelta(days=60 if late else 0):
            add("payment", contract_id=cid, paid_on=day, amount=rent + 50, method="virement",
                reference=None, recorded_by_id=coordinators[tid], recorded_at=now,
                cancelled_at=None, cancelled_by_id=None, cancel_reason=None)
            day += timedelta(days=30)
        _inventory(rows, rng, tid, fid, cid, hid, kind, start, coordinators[tid], now)

    # -- visits and reports ------------------------------------------------------------------
    all_households = list(household_team)
    for v in range(size.visits):
        hid = all_households[v % len(all_households)]
        tid = household_team[hid]
        day = today - timedelta(days=rng.randrange(-14, 366))
        at = dtime(rng.randrange(8, 18), rng.choice([0, 15, 30, 45]))
        past = day < today
        status = ("faite" if rng.random() < 0.95 else "absent") if past else "prevue"
        author = rng.choice(workers[tid])
        vid = add("visit", household_id=hid, team_id=tid, day=day, at=at,
                  place=rng.choice(["domicile"] * 5 + ["bureau", "partenaire", "telephone"]),
                  place_detail=None, purpose=rng.choice(PURPOSES), status=status,
                  created_by_id=author, created_at=datetime.combine(day, dtime(6)), follows_id=None)
        add("visit_worker", visit_id=vid, user_id=author)
        if status == "faite" and rng.random() < 0.97:
            written = datetime.combine(day, at) + timedelta(hours=1)
            add("visit_report", visit_id=vid, client_id=str(uuid.UUID(int=rng.getrandbits(128))),
                payload_hash=hashlib.sha256(f"{seed}-{vid}".encode()).hexdigest(),
                author_id=author, seen=household_people[hid][:2], worked_on=[],
                observations=rng.choice(OBSERVATIONS), next_steps="Prochain rendez-vous fixé.",
                orientation=None, duration_minutes=rng.choice([30, 45, 60, 90]),
                follow_up_on=None, written_at=written, received_at=written, version=1)

    # -- ASLL measures ---------------------------------------------------------------------
    for tid, programme, _site in case_teams:
        if programme != "asll":
            continue
        for n, hid in enumerate(by_team[tid]):
            notified = today - timedelta(days=rng.randrange(5, 400))
            received = notified + timedelta(days=rng.randrange(2, 15))
            signed = received + timedelta(days=rng.randrange(10, 50))
            ended = notified + timedelta(days=330) < today
            mid = add("asll_measure", team_id=tid, household_id=hid,
                      reference=f"FSL-{today.year}-{tid:02d}{n:05d}", notified_on=notified,
                      funder=rng.choice(["metropole", "departement"]),
                      prescriber="Service social départemental",
                      objectives="Accès et maintien dans le logement ; budget.",
                      received_on=received if received <= today else None,
                      worker_id=rng.choice(workers[tid]),
                      contract_signed_on=signed if signed <= today else None,
                      ended_on=notified + timedelta(days=330) if ended else None,
                      outcome="terminee" if ended else None, end_reason=None, renewal_of_id=None,
                      created_at=datetime.combine(notified, dtime(10)),
                      created_by_id=coordinators[tid])
            month = date(signed.year, signed.month, 1)
            last = min(today, notified + timedelta(days=330))
            while month <= last and signed <= today:
                add("asll_link_sheet", measure_id=mid, month=month,
                    summary="Accompagnement régulier ; démarches à jour.",
                    next_steps="Poursuivre le travail sur le budget.",
                    author_id=rng.choice(workers[tid]), updated_at=now)
                month = (month + timedelta(days=32)).replace(day=1)

    # -- permanences -----------------------------------------------------------------------
    for tid, programme, _site in teams:
        if programme == "permanence":
            _permanence(rows, rng, tid, volunteers[tid], workers[tid], coordinators[tid],
                        today, now, households)
    return size


def _inventory(rows, rng, tid, fid, cid, hid, kind, day, author, now) -> None:
    """A signed entry inventory of the flat's rooms (no photo files)."""
    add = rows.add
    iid = add("inventory", team_id=tid, flat_id=fid, contract_id=cid, household_id=hid,
              kind="entrant", done_on=day, people_present="Le ménage et sa référente",
              remarks=None, entry_id=None, replaces_id=None, version=1,
              signed_at=datetime.combine(day, dtime(11)),
              signed_hash=hashlib.sha256(f"inventory-{iid_hint(rows)}".encode()).hexdigest(),
              created_at=datetime.combine(day, dtime(10)), created_by_id=author)
    for position, room in enumerate(ROOMS[kind]):
        rid = add("inventory_room", inventory_id=iid, position=position, name=room)
        for p, item in enumerate(ITEMS[:5] if room != "WC" else ITEMS[:3]):
            add("inventory_item", room_id=rid, position=p, name=item,
                condition=rng.choice(CONDITIONS), comment=None)
    add("meter_reading", inventory_id=iid, meter="eau", number=f"EAU-{fid:06d}",
        reading=str(rng.randrange(100, 9000)))
    add("key_set", inventory_id=iid, kind="Porte d'entrée", count=2)
    for party, name in (("occupant", "Le ménage"), ("association", "La référente")):
        add("signature", inventory_id=iid, party=party, signer_name=name, image=None,
            refused_reason=None, signed_at=datetime.combine(day, dtime(11)))


def iid_hint(rows: Rows) -> int:
    return rows.ids["inventory"] + 1


def _permanence(rows, rng, tid, volunteers, workers, coordinator, today, now, households):
    """Monday, Wednesday and Friday mornings over the past year and the next three weeks."""
    add = rows.add
    roles = [("accueil", None, 2), ("entretien", None, 2), ("medecin", None, 1),
             ("infirmier", None, 1), ("interprete", "arabe", 1)]
    add("permanence_settings", team_id=tid, signup_weeks=6, newcomer_shifts=3,
        opens_minutes_before=60, updated_at=now, updated_by_id=coordinator)
    criteria = [add("vulnerability_criterion", team_id=tid, label=label, position=i, active=True,
                    created_at=now)
                for i, label in enumerate(["Mineur·e isolé·e", "Femme enceinte",
                                           "Pathologie grave", "Victime de violences",
                                           "Sans hébergement"])]
    partners = [add("partner", team_id=tid, name=name, kind=kind, address=None, phone=None,
                    email=None, hours=None, languages=None, services=None, how_to_refer=None,
                    active=True, search_text=_fold(name), updated_at=now, updated_by_id=None)
                for name, kind in (("PASS de l'hôpital", "pass"), ("CPAM", "cpam"),
                                   ("Permanence juridique", "juridique"),
                                   ("Accueil de nuit", "hebergement"))]
    for uid in volunteers:
        add("volunteer_profile", team_id=tid, user_id=uid, roles=["accueil", "entretien"],
            languages=[], experienced=rng.random() < 0.6, updated_at=now)
    schedules = {}
    for weekday in (0, 2, 4):
        sid = add("session_schedule", team_id=tid, weekday=weekday, starts_at=dtime(9),
                  ends_at=dtime(12, 30), place="Local de la permanence",
                  valid_from=today - timedelta(days=400), valid_until=None, created_at=now)
        schedules[weekday] = sid
        for role, language, count in roles:
            add("schedule_need", schedule_id=sid, role=role, language=language, count=count)
    people = []
    pool = max(50, households // 10)
    day = today - timedelta(days=365)
    ticket_people = 0
    while day <= today + timedelta(days=21):
        if day.weekday() in schedules:
            sess = add("dropin_session", team_id=tid, schedule_id=schedules[day.weekday()],
                       day=day, starts_at=dtime(9), ends_at=dtime(12, 30),
                       place="Local de la permanence", status="ouverte", cancel_reason=None,
                       closure_id=None, needs_customised=False,
                       created_at=datetime.combine(day - timedelta(days=42), dtime(8)))
            for role, language, count in roles:
                add("session_need", session_id=sess, role=role, language=language, count=count)
            staff = rng.sample(volunteers, 6) + [rng.choice(workers)]
            for n, uid in enumerate(staff):
                role = ["accueil", "accueil", "entretien", "entretien", "medecin", "infirmier",
                        "entretien"][n]
                add("shift", session_id=sess, user_id=uid, role=role, language=None,
                    signed_up_at=datetime.combine(day - timedelta(days=20), dtime(18)),
                    added_by_id=None, cancelled_at=None)
            if day < today:
                for ticket in range(1, rng.randrange(8, 22)):
                    if len(people) < pool and (not people or rng.random() < 0.35):
                        ticket_people += 1
                        first = rng.choice(FIRST)
                        pid = add("dropin_person", team_id=tid, number=ticket_people,
                                  alias=first if rng.random() < 0.6 else None,
                                  first_name=first, last_name=None,
                                  birth_year=rng.randrange(1960, 2007),
                                  languages=[rng.choice(LANGS)], search_text=_fold(first),
                                  created_at=datetime.combine(day, dtime(9)),
                                  merged_into_id=None, merged_at=None, merged_by_id=None)
                        people.append(pid)
                    else:
                        pid = rng.choice(people)
                    arrived = datetime.combine(day, dtime(8)) + timedelta(minutes=4 * ticket)
                    state = rng.choice(["oriente"] * 6 + ["parti"])
                    aid = add("arrival", session_id=sess, team_id=tid, person_id=pid,
                              ticket=ticket, arrived_at=arrived, language=rng.choice(LANGS),
                              interpreter_needed=rng.random() < 0.4,
                              reason=rng.choice(REASONS), urgent=rng.random() < 0.05,
                              state=state, state_at=arrived + timedelta(minutes=50),
                              interviewer_id=rng.choice(staff), recorded_by_id=staff[0])
                    if state == "oriente":
                        iid = add("intake", arrival_id=aid,
                                  in_france_since=day - timedelta(days=rng.randrange(10, 900)),
                                  health_coverage=rng.choice(["aucune", "ame", "puma"]),
                                  domiciliation=None, asylum_stage=None, housing=None,
                                  assessment="Évaluation faite ; orientation proposée.",
                                  information=[], information_note=None, author_id=staff[2],
                                  created_at=arrived + timedelta(minutes=20), updated_at=now,
                                  updated_by_id=None, version=1)
                        if rng.random() < 0.2:
                            add("intake_criterion", intake_id=iid,
                                criterion_id=rng.choice(criteria))
                        add("orientation", arrival_id=aid, partner_id=rng.choice(partners),
                            kind=rng.choice(ORIENTATION_KINDS), detail=None,
                            created_at=arrived + timedelta(minutes=30),
                            created_by_id=staff[2], outcome=None, outcome_on=None,
                            outcome_note=None)
        day += timedelta(days=1)


def _password_hash() -> str:
    """The bench password hashed with the production Argon2 parameters (no rehash at sign-in)."""
    from argon2 import PasswordHasher

    from app.config import Config

    return PasswordHasher(time_cost=Config.ARGON2_TIME_COST,
                          memory_cost=Config.ARGON2_MEMORY_COST,
                          parallelism=Config.ARGON2_PARALLELISM).hash(BENCH_PASSWORD)


def insert_rows(connection, rows: Rows) -> dict[str, int]:
    """Insert every queued row in foreign-key order, in chunks; reset PostgreSQL sequences."""
    from app.extensions import db
    from app import models  # noqa: F401  (every table known)

    counts = {}
    for table in db.metadata.sorted_tables:
        data = rows.tables.get(table.name)
        if not data:
            continue
        # None on a NOT NULL column with a default means "the default" (as the ORM would do).
        for column in table.c:
            if column.nullable or column.default is None or not column.default.is_scalar:
                continue
            for row in data:
                if row.get(column.name, 0) is None:
                    row[column.name] = column.default.arg
        for i in range(0, len(data), CHUNK):
            connection.execute(insert(table), data[i:i + CHUNK])
        counts[table.name] = len(data)
    if connection.dialect.name == "postgresql":
        for name in counts:
            table: Table = db.metadata.tables[name]
            if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"))
    return counts


def generate(connection, households: int = 20_000, seed: int = 1,
             today: date | None = None, password_hash: str | None = None) -> dict[str, int]:
    """Fill an empty database (schema already made) and return the row count per table."""
    rows = Rows()
    build(rows, households, seed, today or date.today(), password_hash or _password_hash())
    return insert_rows(connection, rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Fill an empty Terrain database with a "
                                     "believable invented dataset.")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", required=True,
                        help="sqlite:///path.db or postgresql://… (the schema is created "
                        "by `flask db upgrade` when the database is empty)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the data is centred on (default: today)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    prepare_schema(args.database_url)
    engine = create_engine(args.database_url)
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(text("app_user"))).scalar():
            raise SystemExit("The database is not empty: datagen fills an empty one.")
        counts = generate(connection, args.households, args.seed, args.today)
    engine.dispose()
    total = sum(counts.values())
    print(f"{total:,} rows in {time.perf_counter() - started:.1f} s: " + ", ".join(
        f"{name} {n:,}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:12]))


def prepare_schema(database_url: str) -> None:
    """Create the tables (the models' schema, indexes included) when there are none yet."""
    import tempfile

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "datagen",
                      "ALERTS_SCHEDULER_IN_PROCESS": False,
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="datagen-")})
    with app.app_context():
        if not inspect(db.engine).has_table("app_user"):
            db.create_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
