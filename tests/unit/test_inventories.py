"""États des lieux: templates, entry and exit, photos once, signatures, lock, versions, comparison."""
import base64
import io
import uuid
from datetime import date, datetime

import pytest
from PIL import Image
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.inventories import services
from app.inventories.models import Inventory, InventoryPhoto
from tests import factories
from tests.unit.test_photos import camera_jpeg

NOW = datetime(2026, 11, 23, 9, 0)
DAY = date(2026, 11, 23)


def png_signature(shade: int = 0) -> str:
    out = io.BytesIO()
    Image.new("RGBA", (300, 120), (shade, 0, 0, 255)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture(autouse=True)
def photo_folder(app, tmp_path):
    app.config["PHOTO_FOLDER"] = str(tmp_path / "photos")


@pytest.fixture
def occupancy(team_a, worker):
    flat = factories.flat(team_a, kind="T3", water_meter="EAU-123")
    household = factories.household(team_a, referent=worker)
    contract = factories.contract(flat, household, start_on=date(2026, 1, 1))
    return flat, household, contract


def fill_all(inventory, condition="bon"):
    form = MultiDict({f"cond-{i.id}": condition for r in inventory.rooms for i in r.items})
    return services.parse_form(form)


def both_sign():
    return {"occupant": {"name": "Samira B.", "image": png_signature(10)},
            "association": {"name": "Sophie Martin", "image": png_signature(200)}}


def signed_entry(worker, occupancy):
    flat, _, contract = occupancy
    entry = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    services.save(worker, entry, fill_all(entry), entry.version, now=NOW)
    services.sign(worker, entry, both_sign(), now=NOW)
    return entry


def test_default_rooms_follow_the_flat_type():
    names = [r["name"] for r in services.default_rooms("T3")]
    assert names == ["Entrée", "Séjour", "Cuisine", "Chambre 1", "Chambre 2", "Salle de bain",
                     "WC"]
    assert [r["name"] for r in services.default_rooms("studio")][1] == "Pièce principale"


def test_template_edited_by_text(app, worker, team_a, occupancy):
    services.save_template(worker, team_a.id, "T3", "Entrée : Sol, Murs\n\nCave : Porte, Sol",
                           now=NOW)
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    assert [(r.name, [i.name for i in r.items]) for r in inventory.rooms] == [
        ("Entrée", ["Sol", "Murs"]), ("Cave", ["Porte", "Sol"])]
    assert {m.meter: m.number for m in inventory.meters}["eau"] == "EAU-123"
    with pytest.raises(services.InventoryError, match="Ligne 2"):
        services.parse_template("Cuisine : Sol\nSalon sans deux-points")


def test_sign_requires_every_condition_and_both_parties(app, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    with pytest.raises(services.InventoryError, match="avant de signer"):
        services.sign(worker, inventory, both_sign(), now=NOW)
    services.save(worker, inventory, fill_all(inventory), inventory.version, now=NOW)
    with pytest.raises(services.InventoryError, match="Occupant·e : signez"):
        services.sign(worker, inventory, {"occupant": {"name": "X"},
                                          "association": both_sign()["association"]}, now=NOW)
    refused = {"occupant": {"name": "X", "refused": "Conteste l'état de la cuisine"},
               "association": both_sign()["association"]}
    digest = services.sign(worker, inventory, refused, now=NOW)
    assert inventory.locked and len(digest) == 64
    occupant = next(s for s in inventory.signatures if s.party == "occupant")
    assert occupant.image is None and occupant.refused_reason.startswith("Conteste")


def test_signed_inventory_is_locked_and_corrected_by_a_new_version(app, worker, occupancy):
    entry = signed_entry(worker, occupancy)
    digest = entry.signed_hash
    with pytest.raises(services.InventoryError, match="signé"):
        services.save(worker, entry, fill_all(entry, "mauvais"), entry.version, now=NOW)
    with pytest.raises(services.InventoryError, match="signé"):
        services.add_photo(worker, entry, str(uuid.uuid4()), camera_jpeg(400, 300), now=NOW)
    draft = services.new_version(worker, entry, now=NOW)
    assert draft.replaces_id == entry.id and not draft.locked
    services.save(worker, draft, fill_all(draft, "usage"), draft.version, now=NOW)
    db.session.refresh(entry)
    assert entry.signed_hash == digest == services.content_hash(entry)
    assert {i.condition for r in entry.rooms for i in r.items} == {"bon"}


def test_stale_version_is_refused(app, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    seen = inventory.version
    services.save(worker, inventory, fill_all(inventory), seen, now=NOW)
    with pytest.raises(services.Conflict):
        services.save(worker, inventory, fill_all(inventory, "neuf"), seen, now=NOW)


def test_photo_stored_once_per_client_id(app, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    item = inventory.rooms[0].items[0]
    cid = str(uuid.uuid4())
    photo, created = services.add_photo(worker, inventory, cid, camera_jpeg(800, 600),
                                        item_id=item.id, now=NOW)
    again, created_again = services.add_photo(worker, inventory, cid, camera_jpeg(800, 600),
                                              item_id=item.id, now=NOW)
    assert created and not created_again and again.id == photo.id
    assert db.session.query(InventoryPhoto).count() == 1
    with pytest.raises(services.InventoryError, match="pas une photo"):
        services.add_photo(worker, inventory, str(uuid.uuid4()), b"texte", now=NOW)


def test_exit_starts_from_entry_and_lists_what_got_worse(app, worker, occupancy):
    flat, _, contract = occupancy
    entry = signed_entry(worker, occupancy)
    exit_ = services.start(worker, flat, "sortant", contract, date(2026, 7, 1), now=NOW)
    assert exit_.entry_id == entry.id
    assert [r.name for r in exit_.rooms] == [r.name for r in entry.rooms]
    kitchen_floor = exit_.rooms[2].items[0]
    form = MultiDict({f"cond-{i.id}": i.condition for r in exit_.rooms for i in r.items})
    form[f"cond-{kitchen_floor.id}"] = "mauvais"
    form[f"com-{kitchen_floor.id}"] = "Lino déchiré"
    services.save(worker, exit_, services.parse_form(form), exit_.version, now=NOW)
    worse = services.compare(exit_)
    assert [(w.room, w.item, w.before.condition, w.after.condition) for w in worse] == [
        ("Cuisine", "Sol", "bon", "mauvais")]


def test_exit_without_signed_entry_is_refused(app, worker, occupancy):
    flat, _, contract = occupancy
    with pytest.raises(services.InventoryError, match="Aucun état des lieux d'entrée"):
        services.start(worker, flat, "sortant", contract, DAY, now=NOW)


def test_parse_form_rejects_bad_key_count():
    with pytest.raises(services.InventoryError, match="Nombre de clés"):
        services.parse_form(MultiDict([("key-kind", "Porte"), ("key-count", "beaucoup")]))


def test_added_items_and_rooms(app, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    room = inventory.rooms[0]
    form = MultiDict({f"new-item-{room.id}": "Interphone", "new-room": "Balcon"})
    services.save(worker, inventory, services.parse_form(form), inventory.version, now=NOW)
    db.session.refresh(inventory)
    assert room.items[-1].name == "Interphone"
    assert inventory.rooms[-1].name == "Balcon" and inventory.rooms[-1].items


# ---- views --------------------------------------------------------------------------------

def upload(client, inventory_id, data, item_id=None, client_id=None):
    return client.post(f"/edl/{inventory_id}/photos", data={
        "client_id": client_id or str(uuid.uuid4()), "item_id": item_id or "",
        "photo": (io.BytesIO(data), "photo.jpg")}, headers={"Accept": "application/json"},
        content_type="multipart/form-data")


def test_photo_upload_served_only_to_the_team(client, auth, worker, occupancy, team_b):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    auth.login(worker.email)
    cid = str(uuid.uuid4())
    first = upload(client, inventory.id, camera_jpeg(1200, 900), inventory.rooms[0].items[0].id, cid)
    assert first.status_code == 201
    again = upload(client, inventory.id, camera_jpeg(1200, 900), inventory.rooms[0].items[0].id, cid)
    assert again.status_code == 200 and again.get_json()["key"] == first.get_json()["key"]
    key = first.get_json()["key"]
    image = client.get(f"/edl/photo/{key}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "no-store" in image.headers["Cache-Control"]
    outsider = factories.user((team_b, "worker"))
    auth.logout()
    auth.login(outsider.email)
    assert client.get(f"/edl/photo/{key}").status_code == 404
    assert client.get(f"/edl/{inventory.id}").status_code == 404


def test_non_image_upload_refused_in_french(client, auth, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    auth.login(worker.email)
    response = upload(client, inventory.id, b"%PDF-1.4 pas une photo")
    assert response.status_code == 422
    assert "pas une photo" in response.get_json()["error"]
    assert db.session.query(InventoryPhoto).count() == 0


def test_volunteer_cannot_open_inventories(client, auth, worker, occupancy, team_a):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    assert client.get(f"/edl/{inventory.id}").status_code == 403


def test_save_view_keeps_french_errors_and_json(client, auth, worker, occupancy):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    auth.login(worker.email)
    bad = client.post(f"/edl/{inventory.id}", data={"version": inventory.version,
                                                    "key-kind": "Porte", "key-count": "x"},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "Nombre de clés" in bad.get_json()["error"]
    stale = client.post(f"/edl/{inventory.id}", data={"version": inventory.version - 1},
                        headers={"Accept": "application/json"})
    assert stale.status_code == 409


def test_pdf_text_photos_and_signatures(client, auth, worker, occupancy):
    from pypdf import PdfReader

    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    item = inventory.rooms[2].items[0]
    services.add_photo(worker, inventory, str(uuid.uuid4()), camera_jpeg(1000, 800),
                       item_id=item.id, now=NOW)
    form = MultiDict({f"cond-{i.id}": "bon" for r in inventory.rooms for i in r.items})
    form[f"com-{item.id}"] = "Carrelage fendu"
    services.save(worker, inventory, services.parse_form(form), inventory.version, now=NOW)
    services.sign(worker, inventory, both_sign(), now=NOW)
    auth.login(worker.email)
    response = client.get(f"/edl/{inventory.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "État des lieux entrée" in text and "Carrelage fendu" in text
    assert "lundi 23 novembre 2026" in text and "Samira B." in text
    assert inventory.signed_hash in text.replace("\n", "")
    # WeasyPrint shares image resources between pages: count distinct images.
    distinct = {img.data for p in reader.pages for img in p.images}
    assert len(distinct) == 3  # one photo, two signatures


def test_template_page_for_coordinators_only(client, auth, worker, team_a):
    coordinator = factories.user((team_a, "coordinator"))
    auth.login(worker.email)
    assert client.get("/edl/modeles").status_code == 403
    auth.logout()
    auth.login(coordinator.email)
    page = client.get("/edl/modeles?type=T2").page
    assert "Chambre 1 : Sol" in page
    bad = client.post("/edl/modeles", data={"equipe": team_a.id, "type": "T2", "rooms": "x"})
    assert bad.status_code == 422 and "Ligne 1" in bad.page and ">x</textarea>" in bad.page
