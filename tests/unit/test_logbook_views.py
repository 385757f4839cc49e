"""Logbook pages: scoping, forms (422 keeping what was typed), outbox replays, exports, checks."""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.logbook.models import FlatCheck, LogEntry, LogEntryPhoto
from app.timeutil import today_paris
from tests import factories

JSON = {"Accept": "application/json"}


@pytest.fixture
def village(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return factories.team("village", name="Village test")


@pytest.fixture
def karim(village):
    return factories.user((village, "worker"), email="karim@exemple.test", display_name="Karim")


@pytest.fixture
def mimi(village):
    h = factories.household(village, name="Mimi")
    h.people[0].alias = "Mimi"
    db.session.commit()
    return h.people[0]


def entry_form(**kw):
    data = {"client_id": str(uuid.uuid4()), "occurred_at": "2026-03-10T12:15",
            "category": "vie_collective", "text": "Repas partagé, douze personnes."}
    data.update(kw)
    return data


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "blue").save(out, "PNG")
    return out.getvalue()


def pdf_text(body: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).split())


def test_write_an_entry_naming_a_resident_then_read_it(client, auth, village, karim, mimi):
    auth.login(karim.email)
    form = client.get(f"/journal/{village.id}/nouvelle")
    assert form.status_code == 200
    assert "Mimi" in form.page and "Habitant·es concerné·es" in form.page
    assert 'data-outbox-form' in form.page and 'enctype="multipart/form-data"' in form.page
    assert "Heure de Paris ; maintenant par défaut." in form.page
    r = client.post(f"/journal/{village.id}/nouvelle", data=entry_form(
        category="reunion", people=[str(mimi.id)], partners="CSAPA",
        text="Réunion des habitants : les chiens en laisse près de la cuisine."))
    entry = db.session.scalar(select(LogEntry))
    assert r.status_code == 303 and r.location.endswith(f"/journal/entree/{entry.id}")
    page = client.get(r.location).page
    assert "Réunion des habitants" in page and "les chiens en laisse" in page
    assert "Mimi" in page and "CSAPA" in page and "10 mars 2026 à 12:15" in page
    listing = client.get(f"/journal/{village.id}").page
    assert "les chiens en laisse" in listing and "1 entrée" in listing
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == karim.id)))
    assert {"logbook.create", "logbook.entry_read", "logbook.read"} <= actions


def test_an_invalid_entry_comes_back_422_in_french_with_what_was_typed(client, auth, village,
                                                                      karim, mimi):
    auth.login(karim.email)
    r = client.post(f"/journal/{village.id}/nouvelle", data=entry_form(
        category="", people=[str(mimi.id)], partners="Équipe mobile",
        text="Texte tapé qui ne doit pas se perdre"))
    assert r.status_code == 422
    assert "Choisissez une catégorie." in r.page
    assert "Texte tapé qui ne doit pas se perdre" in r.page and 'value="Équipe mobile"' in r.page
    assert 'checked id="people-0"' in r.page
    future = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/journal/{village.id}/nouvelle", data=entry_form(occurred_at=future))
    assert r.status_code == 422 and "La date ne peut pas être dans le futur." in r.page
    r = client.post(f"/journal/{village.id}/nouvelle", data=entry_form(occurred_at="hier"))
    assert r.status_code == 422 and "Date et heure invalides" in r.page
    assert db.session.scalar(select(func.count(LogEntry.id))) == 0


def test_the_outbox_replay_of_an_entry_is_saved_exactly_once(client, auth, village, karim):
    auth.login(karim.email)
    data = entry_form()
    first = client.post(f"/journal/{village.id}/nouvelle", data=data, headers=JSON)
    assert first.status_code == 201 and first.json["status"] == "created"
    again = client.post(f"/journal/{village.id}/nouvelle", data=data, headers=JSON)
    assert again.status_code == 200 and again.json["status"] == "replay"
    assert again.json["entry"] == first.json["entry"]
    changed = client.post(f"/journal/{village.id}/nouvelle",
                          data={**data, "text": "Autre contenu"}, headers=JSON)
    assert changed.status_code == 409 and "rien n'est perdu" in changed.json["message"]
    assert db.session.scalar(select(func.count(LogEntry.id))) == 1
    page = client.get(changed.json["url"]).page
    assert "Une autre version envoyée par un téléphone" in page and "Autre contenu" in page
    invalid = client.post(f"/journal/{village.id}/nouvelle", headers=JSON,
                          data=entry_form(text=""))
    assert invalid.status_code == 422
    assert invalid.json["errors"]["text"] == ["Écrivez ce qui s'est passé."]
    assert invalid.json["error"] == "L'entrée est incomplète : Écrivez ce qui s'est passé."


def test_photos_arrive_with_the_entry_and_are_served_only_to_the_team(client, auth, village,
                                                                       karim, team_b):
    auth.login(karim.email)
    data = entry_form()
    data["photos"] = [(io.BytesIO(png()), "photo-1.jpg"), (io.BytesIO(png()), "photo-2.jpg")]
    r = client.post(f"/journal/{village.id}/nouvelle", data=data, headers=JSON,
                    content_type="multipart/form-data")
    assert r.status_code == 201
    # The same multipart body replayed by the outbox: still two photos, one entry.
    data["photos"] = [(io.BytesIO(png()), "photo-1.jpg"), (io.BytesIO(png()), "photo-2.jpg")]
    assert client.post(f"/journal/{village.id}/nouvelle", data=data, headers=JSON,
                       content_type="multipart/form-data").status_code == 200
    keys = list(db.session.scalars(select(LogEntryPhoto.key)))
    assert len(keys) == 2
    photo = client.get(f"/journal/photo/{keys[0]}?mini=1")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "no-store" in photo.headers["Cache-Control"]
    auth.logout()
    outsider = factories.user((team_b, "worker"))
    auth.login(outsider.email)
    assert client.get(f"/journal/photo/{keys[0]}").status_code == 404


def test_a_village_entry_is_not_seen_by_another_team(client, auth, village, karim, team_b):
    entry = factories.log_entry(village, karim, "Entrée du Village, confidentielle")
    flat = factories.flat(village)
    check = factories.flat_check(flat, karim)
    outsider = factories.user((team_b, "coordinator"))
    auth.login(outsider.email)
    for url in (f"/journal/{village.id}", f"/journal/{village.id}/nouvelle",
                f"/journal/entree/{entry.id}", f"/journal/entree/{entry.id}/modifier",
                f"/journal/{village.id}/export.csv", f"/journal/{village.id}/export.pdf",
                f"/journal/{village.id}/logements", f"/journal/logement/{flat.id}",
                f"/journal/logement/{flat.id}/controle", f"/journal/controle/{check.id}",
                f"/journal/controle/{check.id}/modifier"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/journal/{village.id}/nouvelle", data=entry_form(),
                       headers=JSON).status_code == 404
    assert "confidentielle" not in client.get("/journal/", follow_redirects=True).page
    denied = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == outsider.id)).all()
    assert ("logbook_entry", entry.id) in {(d.object_type, d.object_id) for d in denied}
    assert len(denied) == 12
    assert db.session.scalar(select(func.count(LogEntry.id))) == 1
    auth.logout()
    volunteer = factories.user((village, "volunteer"))
    auth.login(volunteer.email)
    assert client.get("/journal/").status_code == 403
    assert "Journal de bord" not in client.get("/plus").page


def test_only_the_author_edits_and_a_stale_form_keeps_the_typed_text(client, auth, village,
                                                                    karim):
    entry = factories.log_entry(village, karim, "Premier texte")
    auth.login(karim.email)
    form = client.get(f"/journal/entree/{entry.id}/modifier")
    assert form.status_code == 200 and "Premier texte" in form.page
    assert 'value="2026-03-10T12:00"' in form.page  # 11:00 UTC shown in Paris time
    assert "maintenant par défaut" not in form.page
    r = client.post(f"/journal/entree/{entry.id}/modifier", data={
        "version": "1", "occurred_at": "2026-03-10T12:00", "category": "incident",
        "text": "Texte corrigé"})
    assert r.status_code == 303
    assert (entry.text, entry.category, entry.version) == ("Texte corrigé", "incident", 2)
    stale = client.post(f"/journal/entree/{entry.id}/modifier", data={
        "version": "1", "occurred_at": "2026-03-10T12:00", "category": "incident",
        "text": "Écrit dans un vieil onglet"})
    assert stale.status_code == 409
    assert "modifiée entre-temps" in stale.page and "Écrit dans un vieil onglet" in stale.page
    assert 'name="version" type="hidden" value="2"' in stale.page
    auth.logout()
    colleague = factories.user((village, "coordinator"))
    auth.login(colleague.email)
    assert client.get(f"/journal/entree/{entry.id}").status_code == 200
    assert client.get(f"/journal/entree/{entry.id}/modifier").status_code == 403


def test_filters_and_csv_export_of_a_period(client, auth, village, karim, mimi):
    factories.log_entry(village, karim, "Dispute à l'entrée ; Jo s'est interposé",
                        category="incident", people=[mimi],
                        occurred_at=datetime(2026, 3, 10, 21, 40))
    factories.log_entry(village, karim, "Repas partagé", occurred_at=datetime(2026, 3, 12, 11))
    factories.log_entry(village, karim, "Hors période", occurred_at=datetime(2026, 2, 1, 11))
    auth.login(karim.email)
    listing = client.get(f"/journal/{village.id}?du=2026-03-01&au=2026-03-31&categorie=incident")
    assert "Dispute" in listing.page and "Repas partagé" not in listing.page
    fragment = client.post(f"/journal/{village.id}", data={"texte": "repas"},
                           headers={"HX-Request": "true"})
    assert "Repas partagé" in fragment.page and "<html" not in fragment.page
    assert "Repas partagé" not in client.get(f"/journal/{village.id}?personne={mimi.id}").page
    r = client.get(f"/journal/{village.id}/export.csv?du=2026-03-01&au=2026-03-31")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date et heure", "Catégorie", "Texte", "Habitant·es", "Partenaires",
                       "Auteur·rice", "Photos"]
    assert rows[1][:4] == ["10/03/2026 22:40", "Incident",
                           "Dispute à l'entrée ; Jo s'est interposé", "Mimi"]  # the alias
    assert [row[2] for row in rows[1:]] == ["Dispute à l'entrée ; Jo s'est interposé",
                                            "Repas partagé"]
    export = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "logbook.export"))
    assert export.detail["format"] == "csv" and export.detail["entries"] == 2


def test_a_text_search_keeps_the_text_out_of_every_url(client, auth, village, karim):
    """The text is posted (the list and its exports); the filters stay GET; a text in the
    query string is ignored."""
    factories.log_entry(village, karim, "Fuite chez Vasseur", category="incident",
                        occurred_at=datetime(2026, 3, 10, 21, 40))
    factories.log_entry(village, karim, "Vasseur au repas", occurred_at=datetime(2026, 3, 11, 12))
    factories.log_entry(village, karim, "Atelier peinture", category="incident",
                        occurred_at=datetime(2026, 3, 12, 11))
    auth.login(karim.email)
    r = client.post(f"/journal/{village.id}", data={"texte": "vasseur", "categorie": "incident"},
                    headers={"HX-Request": "true"})
    assert "Fuite chez Vasseur" in r.page
    assert "Vasseur au repas" not in r.page and "Atelier peinture" not in r.page
    assert r.headers["HX-Push-Url"] == f"/journal/{village.id}?categorie=incident"
    page = client.post(f"/journal/{village.id}", data={"texte": "vasseur"}).page  # no JS
    assert "<html" in page and "Fuite chez Vasseur" in page and "Vasseur au repas" in page
    assert "Atelier peinture" not in page
    urls = re.findall(r'(?:href|action|hx-get|hx-post|src)="([^"]*)"', page)
    assert urls and not [u for u in urls if "vasseur" in u.lower()]
    assert 'name="texte" value="vasseur"' in page  # the exports post the text
    export = client.post(f"/journal/{village.id}/export.csv", data={"texte": "vasseur"})
    assert export.status_code == 200 and "Atelier peinture" not in export.data.decode("utf-8-sig")
    assert "Fuite chez Vasseur" in export.data.decode("utf-8-sig")
    ignored = client.get(f"/journal/{village.id}?texte=vasseur").page
    assert "Atelier peinture" in ignored and 'value="vasseur"' not in ignored
    assert "Atelier peinture" in client.get(
        f"/journal/{village.id}/export.csv?texte=vasseur").data.decode("utf-8-sig")
    filtered = client.get(f"/journal/{village.id}?categorie=incident").page
    assert "Atelier peinture" in filtered and "Vasseur au repas" not in filtered
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "logbook.read"))
    assert not [e for e in reads if "vasseur" in json.dumps(e.detail).lower()]


def test_pdf_export_groups_entries_and_lists_the_flat_checks(client, auth, village, karim):
    factories.log_entry(village, karim, "Extincteur vide au module 3", category="securite",
                        occurred_at=datetime(2026, 3, 11, 8))
    factories.log_entry(village, karim, "Atelier cuisine", occurred_at=datetime(2026, 3, 12, 11))
    factories.log_entry(village, karim, "Avant la période", occurred_at=datetime(2026, 2, 2, 11))
    flat = factories.flat(village, address="16 rue du Test")
    factories.flat_check(flat, karim, checked_on=date(2026, 3, 5), outcome="a_suivre",
                         states={"aeration": "a_revoir"}, follow_up="Repasser avec le bailleur")
    factories.flat_check(flat, karim, checked_on=date(2026, 1, 5))
    auth.login(karim.email)
    r = client.get(f"/journal/{village.id}/export.pdf?du=2026-03-01&au=2026-03-31&par=categorie")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert "Journal de bord — Village test" in text
    assert "du 1 mars 2026 au 31 mars 2026" in text
    # Grouped by category in the vocabulary's order: vie collective before sécurité.
    assert text.index("Vie collective (1)") < text.index("Atelier cuisine") \
        < text.index("Sécurité (1)") < text.index("Extincteur vide")
    assert "Avant la période" not in text
    assert "Contrôles du savoir-habiter" in text and "16 rue du Test" in text
    assert "Aération et humidité (à revoir : À voir)" in text
    assert "Repasser avec le bailleur" in text and "05/01/2026" not in text
    by_date = pdf_text(client.get(
        f"/journal/{village.id}/export.pdf?du=2026-03-01&au=2026-03-31&par=date").data)
    assert by_date.index("Mercredi 11 mars 2026") < by_date.index("Extincteur vide") \
        < by_date.index("Jeudi 12 mars 2026") < by_date.index("Atelier cuisine")
    formats = sorted(e.detail["format"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "logbook.export")))
    assert formats == ["pdf", "pdf"]


def test_record_a_flat_check_and_see_it_on_the_flat_pages(client, auth, village, karim):
    flat = factories.flat(village, address="16 rue du Pont-Test")
    auth.login(karim.email)
    data = {f"{p}_state": "ok" for p in ("entretien", "aeration", "equipements",
                                         "consommations", "voisinage", "securite")}
    data.update(checked_on=today_paris().isoformat(), outcome="a_suivre",
                aeration_state="a_revoir", summary="Logement encombré")
    r = client.post(f"/journal/logement/{flat.id}/controle", data=data)
    assert r.status_code == 422
    assert "Dites en quelques mots ce qui est à revoir." in r.page  # aeration comment missing
    assert "Logement encombré" in r.page
    data.update(aeration_comment="Moisissure au plafond")
    r = client.post(f"/journal/logement/{flat.id}/controle", data=data)
    assert r.status_code == 422 and "Indiquez la suite à donner." in r.page
    data.update(follow_up="Passage avec le pair-aidant")
    r = client.post(f"/journal/logement/{flat.id}/controle", data=data)
    assert r.status_code == 303
    check = db.session.scalar(select(FlatCheck))
    page = client.get(r.location).page
    assert "Bilan : À suivre" in page and "Moisissure au plafond" in page
    assert "Contrôle du" in client.get(f"/journal/logement/{flat.id}").page
    flats = client.get(f"/journal/{village.id}/logements").page
    assert "À jour" in flats and "À suivre" in flats
    housing = client.get(f"/logements/{flat.id}").page
    assert "Contrôles du savoir-habiter" in housing
    assert f"Dernier contrôle le {check.checked_on.day}" in housing


def test_correct_a_flat_check_author_or_coordination_only(client, auth, village, karim):
    flat = factories.flat(village, address="16 rue du Pont-Test")
    check = factories.flat_check(flat, karim, checked_on=date(2026, 3, 1),
                                 states={"aeration": "a_revoir"}, outcome="a_suivre",
                                 follow_up="Repasser")
    colleague = factories.user((village, "worker"), email="colleague@exemple.test")
    coordinator = factories.user((village, "coordinator"), email="coord@exemple.test")
    auth.login(colleague.email)
    assert "Corriger ce contrôle" not in client.get(f"/journal/controle/{check.id}").page
    assert client.get(f"/journal/controle/{check.id}/modifier").status_code == 403
    auth.logout()

    auth.login(karim.email)
    form = client.get(f"/journal/controle/{check.id}/modifier")
    assert form.status_code == 200
    assert 'value="2026-03-01"' in form.page and "Repasser" in form.page
    data = {f"{p}_state": "ok" for p in ("entretien", "aeration", "equipements",
                                         "consommations", "voisinage", "securite")}
    data.update(checked_on="2026-03-02", outcome="a_suivre", voisinage_state="preoccupant",
                follow_up="Médiation avec le voisin")
    bad = client.post(f"/journal/controle/{check.id}/modifier", data=data)
    assert bad.status_code == 422
    assert "Dites en quelques mots ce qui est à revoir." in bad.page
    assert "Médiation avec le voisin" in bad.page  # what was typed stays
    db.session.expire_all()
    assert db.session.get(FlatCheck, check.id).checked_on == date(2026, 3, 1)  # nothing lost
    data.update(voisinage_comment="Bruit la nuit")
    ok = client.post(f"/journal/controle/{check.id}/modifier", data=data)
    assert ok.status_code == 303
    page = client.get(ok.location).page
    assert "Contrôle corrigé." in page and "Bruit la nuit" in page
    db.session.expire_all()
    row = db.session.get(FlatCheck, check.id)
    states = {i.point: i.state for i in row.items}
    assert row.checked_on == date(2026, 3, 2) and states["aeration"] == "ok"
    assert states["voisinage"] == "preoccupant" and len(row.items) == 6
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "logbook.flat_check_edit"))
    assert audit.actor_id == karim.id
    assert audit.detail["changed"] == ["aeration_comment", "aeration_state", "checked_on",
                                       "follow_up", "voisinage_comment", "voisinage_state"]
    auth.logout()

    auth.login(coordinator.email)
    data.update(outcome="preoccupant")
    assert client.post(f"/journal/controle/{check.id}/modifier", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(FlatCheck, check.id).outcome == "preoccupant"


def test_the_household_timeline_shows_entries_naming_it(client, auth, village, karim, mimi,
                                                       team_b):
    factories.log_entry(village, karim, "Mimi a repeint la porte de son module",
                        people=[mimi])
    factories.log_entry(village, karim, "Une entrée sans personne")
    auth.login(karim.email)
    page = client.get(f"/menages/{mimi.household_id}/chronologie").page
    assert "Mimi a repeint la porte" in page and "Une entrée sans personne" not in page
    assert "Vie collective — Village test" in page
    auth.logout()
    # Someone of another team who follows the household sees it, not the Village's logbook.
    factories.enrolment(mimi.household, date(2026, 1, 1), team=team_b)
    partner = factories.user((team_b, "worker"))
    auth.login(partner.email)
    page = client.get(f"/menages/{mimi.household_id}/chronologie")
    assert page.status_code == 200 and "Mimi a repeint" not in page.page


def test_home_keeps_the_entry_form_for_offline_and_nav_links_the_logbook(client, auth, village,
                                                                        karim):
    auth.login(karim.email)
    home = client.get("/").page
    assert f"/journal/{village.id}/nouvelle" in home
    assert "Journal de bord" in client.get("/plus").page
    assert client.get("/journal/").location.endswith(f"/journal/{village.id}")


def test_residents_by_alias_or_first_name_never_the_surname(client, auth, village, karim, mimi):
    """The list, the entry, the CSV and the PDF for the experimentation report."""
    from app.households.models import Person

    jo = factories.household(village, name="Famille Durandet").people[0]  # no alias
    jo.first_name, jo.last_name = "Jonas", "Durandet"
    mimi.last_name = "Rocheblave"
    anonymous = factories.household(village, name="Ménage sans prénom")
    anonymous.people = [Person(last_name="Vasseurin")]
    db.session.commit()
    nobody = anonymous.people[0]
    entry = factories.log_entry(village, karim, "Atelier peinture du module 2",
                                people=[mimi, jo, nobody], partners="Secours populaire",
                                occurred_at=datetime(2026, 3, 10, 9))
    surnames = ("Rocheblave", "Durandet", "Vasseurin")
    auth.login(karim.email)

    listing = client.get(f"/journal/{village.id}").page
    assert "Mimi, Jonas, Habitant·e sans alias · Secours populaire" in listing
    shown = client.get(f"/journal/entree/{entry.id}").page
    assert "Mimi" in shown and "Jonas" in shown
    form = client.get(f"/journal/entree/{entry.id}/modifier").page  # the resident picker too
    assert "Jonas" in form and "Habitant·e sans alias" in form
    for page in (listing, shown, form):
        for surname in surnames:
            assert surname not in page, surname

    r = client.get(f"/journal/{village.id}/export.csv?du=2026-03-01&au=2026-03-31")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3] == "Mimi, Jonas, Habitant·e sans alias"
    text = pdf_text(client.get(
        f"/journal/{village.id}/export.pdf?du=2026-03-01&au=2026-03-31").data)
    assert "Habitant·es : Mimi, Jonas, Habitant·e sans alias" in text
    for surname in surnames:
        assert surname not in r.data.decode("utf-8-sig"), surname
        assert surname not in text, surname
