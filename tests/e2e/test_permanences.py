"""Permanences in a real browser: a volunteer signs up for a shift on a phone; the desk records
arrivals on a tablet and an interviewer's phone sees them appear without reloading; an intake
with an orientation and an aid. Every page is checked with axe-core and for sideways scroll."""
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.formatting import date_fr
from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 820, "height": 1180}
#: The queue polls every 5 s: give a change up to two polls (and a slow machine) to show.
LIVE = 12_000


def paris_today():
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def check(page, name):
    """No serious accessibility problem, no sideways scroll; keep a screenshot."""
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)
    screenshot(page, name)
    # Playwright's screenshot leaves `style=""` on some inputs; htmx would carry it to the next
    # page's element of the same id, which the CSP refuses (see test_housing.check).
    page.evaluate("document.querySelectorAll('[style=\"\"]')"
                  ".forEach(e => e.removeAttribute('style'))")


def _session_today(server, *, arrivals=()):
    """An all-day session today (so the test runs at any hour) with Jeanne at the desk and
    Mamadou interviewing; returns its id."""
    from app.auth.models import Team, User
    from app.permanences import services
    from app.timeutil import utcnow

    with server.app.app_context():
        def user(email):
            return db.session.scalar(select(User).where(User.email == email))

        team = db.session.scalar(select(Team).where(Team.name == "Permanence Berriat"))
        coord = user("coordination.grenoble@terrain.test")
        now = utcnow()
        s = services.add_session(coord, team.id, day=paris_today(), starts_at=time(0, 0),
                                 ends_at=time(23, 59), place="Salle du fond (test)",
                                 needs=[("accueil", None, 2), ("entretien", None, 2)], now=now)
        services.sign_up(coord, s, "accueil", None, now=now, user=user("benevole@terrain.test"))
        services.sign_up(coord, s, "entretien", None, now=now,
                         user=user("mamadou.diallo@terrain.test"))
        for name in arrivals:
            services.record_arrival(coord, s, name=name, number=None, language="peul",
                                    interpreter_needed=True, reason="droits_sante",
                                    urgent=False, now=utcnow())
        return s.id


def _fifth_coming_session(server):
    from app.permanences.models import DropInSession

    with server.app.app_context():
        rows = db.session.scalars(
            select(DropInSession).where(DropInSession.day > paris_today(),
                                        DropInSession.status == "ouverte")
            .order_by(DropInSession.day)).all()
        return rows[4].day


def test_volunteer_signs_up_for_a_shift_on_a_phone(page, new_page, server):
    day = _fifth_coming_session(server)
    label = date_fr(day, "EEEE d MMMM")
    sign_in(page, server, "benevole@terrain.test")
    card = page.get_by_role("region", name="Permanence", exact=True)
    expect(card.get_by_role("heading", name="Mes prochains créneaux")).to_be_visible()
    check(page, "permanences-home-volunteer-phone")

    # Two taps: the link on "Aujourd'hui", then the role on the chosen morning.
    card.get_by_role("link", name="M'inscrire à une permanence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Permanences")
    check(page, "permanences-planning-phone")
    page.get_by_role("button", name=re.compile(f"^M'inscrire : Accueil · \\d places?, {label}$")).click()
    expect(page.get_by_role("status").filter(has_text="Vous êtes inscrit·e")).to_contain_text(
        f"Accueil, {date_fr(day)}")
    mine = page.get_by_role("region", name="Mes créneaux")
    expect(mine.get_by_role("link", name=re.compile(label, re.IGNORECASE))).to_be_visible()
    check(page, "permanences-signed-up-phone")

    # Back home, the shift is there.
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Aujourd'hui").click()
    expect(page.get_by_role("region", name="Permanence", exact=True).get_by_role(
        "link", name=re.compile(label, re.IGNORECASE))).to_be_visible()

    # Cancel it (a confirmation first).
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Plus").click()
    page.get_by_role("link", name="Permanences").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Annuler mon créneau du {date_fr(day, 'd MMMM')}").click()
    expect(page.get_by_role("status").filter(has_text="Créneau annulé")).to_be_visible()
    expect(page.get_by_role("region", name="Mes créneaux").get_by_role(
        "link", name=re.compile(label, re.IGNORECASE))).to_have_count(0)

    laptop = new_page(LAPTOP)
    sign_in(laptop, server, "coordination.grenoble@terrain.test")
    laptop.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Permanences").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Permanences")
    check(laptop, "permanences-planning-laptop")
    laptop.get_by_role("navigation", name="Permanences").get_by_role(
        "link", name="Besoins").click()
    check(laptop, "permanences-gaps-laptop")
    laptop.get_by_role("navigation", name="Permanences").get_by_role(
        "link", name="Organisation").click()
    check(laptop, "permanences-organisation-laptop")


def test_desk_records_arrivals_and_an_interviewer_sees_them_live(new_page, server):
    session_id = _session_today(server)
    desk = new_page(TABLET)
    phone = new_page()
    sign_in(desk, server, "benevole@terrain.test")
    sign_in(phone, server, "mamadou.diallo@terrain.test")

    phone.goto(f"{server.url}/permanences/seances/{session_id}/file")
    queue = phone.locator("#queue")
    expect(queue.get_by_text("Personne pour l'instant.")).to_be_visible()
    check(phone, "permanences-queue-empty-phone")

    desk.goto(f"{server.url}/permanences/seances/{session_id}/arrivee")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Nouvelle arrivée")
    for ticket, (name, language, urgent) in enumerate(
            [("Moussa", "peul", False), ("Leyla", "dari", True), ("Ibrahim", "arabe", False)],
            start=1):
        desk.get_by_label("Alias ou prénom").fill(name)
        desk.get_by_label("Langue").select_option(language)
        desk.get_by_label("Motif de venue").select_option("droits_sante")
        if language != "arabe":
            desk.get_by_label("Interprète nécessaire").check()
        if urgent:
            desk.get_by_label("Urgent (à voir en priorité)").check()
        desk.get_by_role("button", name="Enregistrer l'arrivée").click()
        expect(desk.get_by_role("status").filter(has_text=f"Ticket n° {ticket}")) \
            .to_contain_text(name)
        # The interviewer's phone shows it without anyone reloading it (htmx polling).
        expect(queue.get_by_text(name, exact=True)).to_be_visible(timeout=LIVE)
    check(desk, "permanences-desk-tablet")

    items = queue.locator(".queue-item")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("Leyla")  # urgent first
    expect(items.first).to_contain_text("Urgent")
    expect(queue.locator(".queue-counts")).to_contain_text("3 en attente")
    check(phone, "permanences-queue-phone")

    # The interviewer calls n° 1 in; the desk's queue follows.
    queue.get_by_role("button", name="Appeler n° 1 en entretien").click()
    expect(queue.locator(".queue-item", has_text="Moussa")).to_contain_text("En entretien")
    desk_queue = desk.locator("#queue")
    expect(desk_queue.locator(".queue-item", has_text="Moussa")).to_contain_text(
        "avec Mamadou Diallo", timeout=LIVE)
    expect(desk_queue.locator(".queue-counts")).to_contain_text("2 en attente", timeout=LIVE)


def test_intake_with_an_orientation_and_an_aid(page, server):
    session_id = _session_today(server, arrivals=["Abdoul"])
    sign_in(page, server, "elodie.bernard@terrain.test")
    page.goto(f"{server.url}/permanences/seances/{session_id}/file")
    page.get_by_role("button", name="Appeler n° 1 en entretien").click()
    page.get_by_role("link", name="Entretien de n° 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abdoul")

    page.get_by_label("Prénom", exact=True).fill("Abdoulaye")
    page.get_by_label("Année de naissance (même approximative)").fill("1998")
    page.get_by_label("Maladie sans aucun soin en cours").check()
    page.get_by_label("En France depuis (mois)").fill(paris_today().strftime("%Y-%m"))
    page.get_by_label("Couverture maladie").select_option(label="Aucune couverture")
    page.get_by_label("Domiciliation", exact=True).select_option(label="Pas de domiciliation")
    page.get_by_label("Procédure d'asile", exact=True).select_option("spada")
    page.get_by_label("Hébergement", exact=True).select_option(label="À la rue")
    page.get_by_label("Évaluation sociale, administrative et juridique").fill(
        "Douleurs depuis trois semaines, aucun droit ouvert. Domiciliation à demander.")
    page.get_by_label("Droits santé : AME, PUMa, CSS").check()
    check(page, "permanences-intake-phone")
    page.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.get_by_role("status").filter(has_text="Entretien enregistré.")).to_be_visible()
    expect(page.get_by_text("Entretien individuel à proposer")).to_be_visible()

    orientations = page.get_by_role("region", name=re.compile("^Orientations"))
    orientations.get_by_label("Structure de l'annuaire").select_option(
        label="PASS de l'hôpital des Alpes — PASS (permanence d'accès aux soins)")
    orientations.get_by_label("Pour quoi (rendez-vous, démarche…)").fill(
        "Consultation demain matin, sans rendez-vous")
    orientations.get_by_role("button", name="Ajouter l'orientation").click()
    expect(page.get_by_role("status").filter(has_text="Orientation enregistrée.")) \
        .to_be_visible()
    orientations = page.get_by_role("region", name=re.compile("^Orientations"))
    expect(orientations.get_by_role("link", name="PASS de l'hôpital des Alpes")).to_be_visible()

    aids = page.get_by_role("region", name=re.compile("^Aides"))
    aids.get_by_label("Aide", exact=True).select_option(label="Tickets de transport")
    aids.get_by_label("Quantité").fill("2")
    aids.get_by_role("button", name="Accorder l'aide").click()
    expect(page.get_by_role("status").filter(has_text="Aide enregistrée.")).to_be_visible()
    expect(page.get_by_text("Tickets de transport × 2")).to_be_visible()
    check(page, "permanences-intake-saved-phone")

    page.get_by_role("button", name="Terminer : orienté·e").click()
    expect(page.locator("#queue .queue-item", has_text="Abdoulaye")).to_contain_text(
        "Orienté·e")
    page.get_by_role("link", name="Entretien de n° 1").click()
    page.get_by_role("link", name="Historique de la personne").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Abdoul (Abdoulaye)")
    expect(page.get_by_text("PASS de l'hôpital des Alpes (sans nouvelles)")).to_be_visible()
    check(page, "permanences-person-phone")


def test_directory_dysfunctions_figures_and_merge_on_a_phone(page, new_page, server):
    sign_in(page, server, "lucie.moreau@terrain.test")
    page.goto(f"{server.url}/permanences/partenaires")
    check(page, "permanences-partners-phone")
    page.get_by_label("Chercher une structure, un service, une langue").press_sequentially(
        "dari", delay=40)
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Centre de santé mentale Parole d'exil")) \
        .to_be_visible()
    expect(results.get_by_role("link", name="PASS de l'hôpital des Alpes")).to_have_count(0)
    results.get_by_role("link", name="Centre de santé mentale Parole d'exil").click()
    expect(page.get_by_role("heading", name="Comment orienter")).to_be_visible()
    check(page, "permanences-partner-phone")

    # A dysfunction: the form asks for no names, and sends one back.
    page.goto(f"{server.url}/permanences/dysfonctionnements/nouveau")
    page.get_by_label("Type", exact=True).select_option(label="Délais de la CPAM")
    page.get_by_label("Les faits").fill("Abdou attend sa carte depuis cinq mois.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("le signalement reste anonyme")).to_be_visible()
    page.get_by_label("Les faits").fill("Carte attendue depuis cinq mois.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").filter(has_text="sans identité")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Délais de la CPAM")
    check(page, "permanences-dysfunctions-phone")

    coord = new_page()
    sign_in(coord, server, "coordination.grenoble@terrain.test")
    coord.goto(f"{server.url}/permanences/chiffres")
    expect(coord.get_by_role("heading", name="Langues")).to_be_visible()
    check(coord, "permanences-figures-phone")
    coord.get_by_role("navigation", name="Permanences").get_by_role(
        "link", name="Personnes").click()
    expect(coord).to_have_url(re.compile(r"/permanences/personnes$"))
    # Typed key by key, as a person would: a fill() right after a boosted navigation can land
    # before htmx has wired the new form, and its single input event would be missed.
    coord.get_by_label("Alias, prénom, nom ou numéro de carte").press_sequentially("mariam",
                                                                                  delay=40)
    coord.locator("#results").get_by_role("link", name="Mariam").click()
    expect(coord.get_by_role("heading", name=re.compile("^Passages"))).to_contain_text("2")
    coord.get_by_role("link", name="Fusionner avec une autre fiche").click()
    coord.get_by_label(re.compile("Chercher la fiche à garder")).press_sequentially("nour",
                                                                                  delay=40)
    coord.get_by_role("button", name="Chercher").click()
    coord.get_by_role("link", name=re.compile("^C'est elle : Nour")).click()
    check(coord, "permanences-merge-phone")
    coord.get_by_role("button", name=re.compile("^Fusionner dans")).click()
    expect(coord.get_by_role("status").filter(has_text="Fiches fusionnées")).to_be_visible()
    expect(coord.get_by_role("heading", name=re.compile("^Passages"))).to_contain_text("3")
