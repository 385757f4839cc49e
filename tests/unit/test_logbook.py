"""Logbook rules and services: exactly once by client_id, validation, edits, filters, checks."""
from __future__ import annotations

import io
import uuid
from datetime import date, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.inventories import photos as photo_store
from app.logbook import queries, rules, services
from app.logbook.models import LogEntry, LogEntryConflict, LogEntryPhoto
from tests import factories

NOW = datetime(2026, 3, 10, 15, 0)  # 16:00 in Paris (winter time)


@pytest.fixture
def village(app):
    return factories.team("village", name="Village test")


@pytest.fixture
def other(app):
    return factories.team("lda", name="Logement d'abord test")


@pytest.fixture
def karim(village):
    return factories.user((village, "worker"), email="karim@exemple.test", display_name="Karim")


@pytest.fixture
def mimi(village):
    h = factories.household(village, name="Mimi")
    h.people[0].alias = "Mimi"
    db.session.commit()
    return h.people[0]


def values(**kw):
    base = {"occurred_at": datetime(2026, 3, 10, 12, 15), "category": "vie_collective",
            "text": "Repas partagé, douze personnes.", "partners": None, "people": []}
    base.update(kw)
    return base


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # orientation: rotate 90°
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# -- rules ------------------------------------------------------------------------------------

def test_a_flat_is_overdue_the_day_after_its_interval():
    checked = date(2026, 1, 1)
    on_time = rules.check_status(checked, date(2026, 4, 1))  # 90 days later
    assert (on_time.days_since, on_time.overdue, on_time.flagged) == (90, False, False)
    assert on_time.due_on == date(2026, 4, 1)
    late = rules.check_status(checked, date(2026, 4, 2))  # 91 days
    assert late.overdue and late.flagged and late.label == "Contrôle en retard (91 jours)"
    assert not rules.check_status(checked, date(2026, 1, 31), every_days=30).overdue
    assert rules.check_status(checked, date(2026, 2, 1), every_days=30).overdue
    never = rules.check_status(None, date(2026, 4, 2))
    assert never.never and never.flagged and not never.overdue and never.label == "Jamais contrôlé"


def test_paris_days_become_utc_bounds_in_winter_and_summer():
    assert rules.day_bounds(date(2026, 1, 10), date(2026, 1, 10)) == (
        datetime(2026, 1, 9, 23, 0), datetime(2026, 1, 10, 23, 0))
    assert rules.day_bounds(date(2026, 7, 10), None) == (datetime(2026, 7, 9, 22, 0), None)
    assert rules.paris_to_utc(datetime(2026, 3, 10, 12, 15)) == datetime(2026, 3, 10, 11, 15)


# -- writing entries --------------------------------------------------------------------------

def test_an_entry_replayed_with_its_client_id_is_saved_once(village, karim, mimi):
    cid = str(uuid.uuid4())
    first = services.create_entry(karim, village, cid, values(people=[mimi.id]), now=NOW)
    assert first.outcome == "created"
    assert first.entry.occurred_at == datetime(2026, 3, 10, 11, 15)  # stored in UTC
    again = services.create_entry(karim, village, cid, values(people=[mimi.id]), now=NOW)
    assert again.outcome == "replay" and again.entry.id == first.entry.id
    assert db.session.scalar(select(func.count(LogEntry.id))) == 1
    assert [p.household_id for p in first.entry.people] == [mimi.household_id]


def test_the_same_client_id_with_other_content_is_kept_as_a_conflict(village, karim):
    cid = str(uuid.uuid4())
    entry = services.create_entry(karim, village, cid, values(), now=NOW).entry
    other = services.create_entry(karim, village, cid, values(text="Texte corrigé."), now=NOW)
    assert other.outcome == "conflict" and other.entry.id == entry.id
    assert entry.text == "Repas partagé, douze personnes."  # nothing overwritten silently
    replayed = services.create_entry(karim, village, cid, values(text="Texte corrigé."), now=NOW)
    assert replayed.conflict.id == other.conflict.id
    assert db.session.scalar(select(func.count(LogEntryConflict.id))) == 1
    services.resolve_conflict(karim, other.conflict, "mine", now=NOW)
    assert entry.text == "Texte corrigé." and entry.version == 2
    with pytest.raises(services.LogbookError, match="déjà réglé"):
        services.resolve_conflict(karim, other.conflict, "theirs", now=NOW)


@pytest.mark.parametrize("changes, field, message", [
    ({"category": None}, "category", "Choisissez une catégorie."),
    ({"category": "fete"}, "category", "Choisissez une catégorie."),
    ({"text": "   "}, "text", "Écrivez ce qui s'est passé."),
    ({"occurred_at": datetime(2026, 3, 10, 16, 11)}, "occurred_at",
     "La date ne peut pas être dans le futur."),
])
def test_invalid_entries_are_refused_in_french(village, karim, changes, field, message):
    with pytest.raises(services.LogbookError) as exc:
        services.create_entry(karim, village, str(uuid.uuid4()), values(**changes), now=NOW)
    assert (exc.value.field, str(exc.value)) == (field, message)
    assert db.session.scalar(select(func.count(LogEntry.id))) == 0


def test_ten_minutes_of_phone_clock_drift_are_accepted(village, karim):
    ahead = values(occurred_at=datetime(2026, 3, 10, 16, 10))  # 15:10 UTC = now + 10 min
    assert services.create_entry(karim, village, str(uuid.uuid4()), ahead,
                                 now=NOW).outcome == "created"


def test_only_residents_of_the_team_and_members_may_be_named(village, other, karim):
    stranger = factories.household(other, name="Ailleurs").people[0]
    with pytest.raises(services.LogbookError, match="pas suivie par l'équipe"):
        services.create_entry(karim, village, str(uuid.uuid4()), values(people=[stranger.id]),
                              now=NOW)
    with pytest.raises(services.LogbookError, match="ne faites pas partie"):
        services.create_entry(karim, other, str(uuid.uuid4()), values(), now=NOW)


def test_a_household_enrolled_in_the_team_counts_as_resident(village, other, karim):
    h = factories.household(other, name="Suivi partagé")
    factories.enrolment(h, date(2026, 1, 1), team=village)
    assert h.people[0] in queries.residents(village.id, date(2026, 3, 10))


def test_photos_go_through_the_inventory_pipeline_without_metadata(village, karim):
    result = services.create_entry(karim, village, str(uuid.uuid4()), values(),
                                   [jpeg_with_exif()], now=NOW)
    photo = db.session.scalar(select(LogEntryPhoto))
    assert photo.entry_id == result.entry.id
    stored = Image.open(io.BytesIO(photo_store.read(photo.key)))
    assert (stored.width, stored.height) == (20, 40)  # turned upright
    assert not stored.getexif()
    assert photo_store.read(photo.key, thumb=True)
    with pytest.raises(services.LogbookError, match="pas une photo"):
        services.create_entry(karim, village, str(uuid.uuid4()), values(), [b"not an image"],
                              now=NOW)


def test_only_the_author_edits_and_a_stale_version_is_a_conflict(village, karim, mimi):
    entry = services.create_entry(karim, village, str(uuid.uuid4()), values(), now=NOW).entry
    colleague = factories.user((village, "coordinator"))
    with pytest.raises(services.LogbookError, match="Seul·e l'auteur·rice"):
        services.edit_entry(colleague, entry, values(text="Autre"), 1, now=NOW)
    services.edit_entry(karim, entry, values(text="Repas partagé avec Mimi.", people=[mimi.id]),
                        1, now=NOW)
    assert (entry.version, entry.updated_by_id) == (2, karim.id)
    assert "mimi" in entry.search_text
    with pytest.raises(services.Conflict):
        services.edit_entry(karim, entry, values(text="Depuis un vieil onglet"), 1, now=NOW)


# -- reading ----------------------------------------------------------------------------------

def test_filters_by_paris_day_category_text_and_person(village, other, karim, mimi):
    late = factories.log_entry(village, karim, "Soirée calme, Pépito a joué de la guitare.",
                               occurred_at=datetime(2026, 3, 10, 22, 30))  # 23:30 in Paris
    fight = factories.log_entry(village, karim, "Dispute à l'entrée, sans coups.",
                                category="incident", people=[mimi],
                                occurred_at=datetime(2026, 3, 11, 7, 0))
    outsider = factories.user((other, "worker"))
    factories.log_entry(other, outsider, "Entrée d'une autre équipe",
                        occurred_at=datetime(2026, 3, 10, 12, 0))

    def ids(**kw):
        return [e.id for e in queries.entries(karim, village.id, queries.Filters(**kw))]

    assert ids() == [fight.id, late.id]
    assert ids(start=date(2026, 3, 10), end=date(2026, 3, 10)) == [late.id]
    assert ids(start=date(2026, 3, 11)) == [fight.id]
    assert ids(category="incident") == [fight.id]
    assert ids(text="SOIREE guitare") == [late.id]  # accents and case ignored
    assert ids(text="mimi") == [fight.id]  # a person's name finds the entries naming her
    assert ids(person_id=mimi.id) == [fight.id]
    assert queries.count_entries(karim, village.id, queries.Filters(category="incident")) == 1
    # Scoping: another team's logbook is empty for Karim even when asked for by id.
    assert queries.entries(karim, other.id, queries.Filters()) == []


# -- flat checks ------------------------------------------------------------------------------

def check_values(**kw):
    base = {f"{p}_state": "ok" for p in ("entretien", "aeration", "equipements",
                                         "consommations", "voisinage", "securite")}
    base.update(checked_on=date(2026, 3, 10), outcome="satisfaisant")
    base.update(kw)
    return base


@pytest.mark.parametrize("changes, field, message", [
    ({"checked_on": date(2026, 3, 11)}, "checked_on",
     "Le contrôle ne peut pas être daté dans le futur."),
    ({"aeration_state": None}, "aeration_state", "Choisissez OK, à revoir ou préoccupant."),
    ({"aeration_state": "a_revoir"}, "aeration_comment",
     "Dites en quelques mots ce qui est à revoir."),
    ({"outcome": "a_suivre"}, "follow_up", "Indiquez la suite à donner."),
    ({"follow_up": "Repasser", "follow_up_on": date(2026, 3, 9)}, "follow_up_on",
     "La suite se date le jour du contrôle ou après."),
])
def test_a_check_needs_every_point_and_a_follow_up_when_not_satisfying(village, karim, changes,
                                                                        field, message):
    flat = factories.flat(village)
    with pytest.raises(services.LogbookError) as exc:
        services.record_check(karim, flat, check_values(**changes), now=NOW,
                              today=date(2026, 3, 10))
    assert (exc.value.field, str(exc.value)) == (field, message)


def test_flats_are_listed_with_their_last_check_and_flagged_past_the_interval(village, karim):
    checked = factories.flat(village, address="1 rue Vue")
    factories.flat(village, address="2 rue Jamais")
    factories.flat(village, address="3 rue Rendue", status="rendu")
    factories.flat_check(checked, karim, checked_on=date(2025, 12, 10), outcome="a_suivre")
    services.record_check(karim, checked, check_values(
        checked_on=date(2026, 1, 1), aeration_state="a_revoir",
        aeration_comment="Moisissure salle d'eau", outcome="a_suivre", follow_up="Aérer",
        follow_up_on=date(2026, 1, 15)), now=NOW, today=date(2026, 1, 1))

    def rows(today):
        return {r.flat.address: r for r in queries.flat_rows(karim, village.id, today)}

    at_90 = rows(date(2026, 4, 1))
    assert set(at_90) == {"1 rue Vue", "2 rue Jamais"}  # a flat handed back is not listed
    assert list(at_90)[0] == "2 rue Jamais"  # flats needing a check first
    assert at_90["1 rue Vue"].last.checked_on == date(2026, 1, 1)
    assert not at_90["1 rue Vue"].status.overdue and at_90["2 rue Jamais"].status.never
    assert rows(date(2026, 4, 2))["1 rue Vue"].status.overdue
    coordinator = factories.user((village, "coordinator"))
    with pytest.raises(services.LogbookError, match="coordination"):
        services.set_check_every(karim, village, 30, now=NOW)
    with pytest.raises(services.LogbookError, match="Entre 7 et 730"):
        services.set_check_every(coordinator, village, 3, now=NOW)
    services.set_check_every(coordinator, village, 30, now=NOW)
    assert rows(date(2026, 2, 1))["1 rue Vue"].status.overdue  # 31 days > 30
    assert not rows(date(2026, 1, 31))["1 rue Vue"].status.overdue


def test_an_entry_keeps_naming_a_resident_who_left(village, karim):
    h = factories.household(village, name="Parti")
    h.team_id = factories.team("iml").id  # the household is no longer the Village's
    db.session.commit()
    person = h.people[0]
    entry = factories.log_entry(village, karim, "Au revoir à Parti", people=[person])
    assert person not in queries.residents(village.id, date(2026, 3, 10))
    services.edit_entry(karim, entry, values(text="Au revoir, fête de départ", people=[person.id]),
                        1, now=NOW)
    assert [p.person_id for p in entry.people] == [person.id]
    with pytest.raises(services.LogbookError, match="pas suivie"):
        services.create_entry(karim, village, str(uuid.uuid4()), values(people=[person.id]),
                              now=NOW)


def test_the_author_removes_a_photo_and_its_files_go(village, karim):
    entry = services.create_entry(karim, village, str(uuid.uuid4()), values(),
                                  [jpeg_with_exif(), jpeg_with_exif()], now=NOW).entry
    gone, kept = entry.photos
    services.edit_entry(karim, entry, values(), 1, remove_photos=[gone.id], now=NOW)
    assert [p.key for p in entry.photos] == [kept.key]
    assert photo_store.read(kept.key)
    with pytest.raises(photo_store.PhotoError):
        photo_store.read(gone.key)
    with pytest.raises(services.LogbookError, match="6 photos au plus"):
        services.edit_entry(karim, entry, values(), 2, [jpeg_with_exif()] * 6, now=NOW)


def test_resident_choices_tell_namesakes_apart_without_the_surname(village):
    from app.households.models import Person

    a = factories.household(village, name="Famille Martinet")
    a.people = [Person(first_name="Alex", last_name="Martinet", birth_year=1980),
                Person(first_name="Sam", last_name="Martinet", alias="Sam la Plume")]
    b = factories.household(village, name="Famille Bourdais")
    b.people = [Person(first_name="Alex", last_name="Bourdais")]
    db.session.commit()
    people = queries.residents(village.id, date(2026, 3, 10))
    names = dict(queries.resident_choices(people))
    assert names[a.people[0].id] == "Alex (né·e en 1980)"
    assert names[b.people[0].id] == f"Alex (ménage n° {b.id})"
    assert names[a.people[1].id] == "Sam la Plume"
    assert not any("Martinet" in n or "Bourdais" in n for n in names.values())
