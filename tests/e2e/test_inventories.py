"""An état des lieux on a phone, partly offline: photos and signatures arrive once, the PDF holds them."""
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.housing.models import Contract, Flat
from app.inventories.models import Inventory, InventoryPhoto
from tests.e2e.conftest import screenshot, serious_violations, sign_in, wait_until
from tests.e2e.test_offline import outbox_size, wait_for_worker, wait_until_cached
from tests.unit.test_photos import camera_jpeg

pytestmark = pytest.mark.e2e


def draw_signature(page, canvas, wobble=15):
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20,
                        box["y"] + box["height"] / 2 + (-1) ** step * wobble)
    page.mouse.up()


def test_entry_inventory_with_photos_offline_and_signatures(page, server, tmp_path):
    with server.app.app_context():
        flat = db.session.scalar(select(Flat).where(Flat.address == "8 rue des Lilas"))
        flat_id = flat.id
        assert db.session.scalar(select(Contract).where(Contract.flat_id == flat_id))
    first_photo, second_photo = tmp_path / "salon.jpg", tmp_path / "cuisine.jpg"
    first_photo.write_bytes(camera_jpeg(2000, 1500))
    second_photo.write_bytes(camera_jpeg(1500, 2000, orientation=1))

    sign_in(page, server, "travailleur@terrain.test")
    wait_for_worker(page)
    page.goto(server.url + f"/edl/logement/{flat_id}")
    assert serious_violations(page) == []
    page.get_by_label("Type").select_option(label="Entrée")
    page.get_by_role("button", name="Commencer").click()
    expect(page.get_by_role("heading", name="État des lieux entrée")).to_be_visible()
    inventory_path = page.url.replace(server.url, "")
    inventory_id = int(inventory_path.rsplit("/", 1)[1])

    # Every item in good condition, but the kitchen floor, worn.
    for radio in page.get_by_role("radio", name="Bon état").all():
        radio.check()
    page.get_by_role("radiogroup", name="État : Cuisine, Sol").get_by_role(
        "radio", name="État d'usage").check()
    page.get_by_label("Commentaire : Cuisine, Sol").fill("Lino rayé près de l'évier")
    page.get_by_label("Personnes présentes").fill("Samira Benkirane, Sophie Martin")
    assert serious_violations(page) == []
    screenshot(page, "inventory-edit-phone")

    # A photo through the file chooser, online.
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Galerie").first.click()
    chooser.value.set_files(str(first_photo))
    expect(page.locator("[data-photo-status]")).to_have_text("Photos : 1 envoyée.")
    version = page.locator("input[name=version]").input_value()
    page.get_by_role("button", name="Enregistrer").click()
    # Saved when the page has come back with the next version of the inventory.
    expect(page.locator("input[name=version]")).to_have_value(str(int(version) + 1))
    expect(page.get_by_label("Commentaire : Cuisine, Sol")).to_have_value(
        "Lino rayé près de l'évier")

    # Keep the inventory and its signature page on the phone, then lose the network.
    page.goto(server.url + "/")
    wait_until_cached(page, inventory_path)
    wait_until_cached(page, inventory_path + "/signer")
    page.goto(server.url + inventory_path)
    page.context.set_offline(True)
    kitchen = page.get_by_label("Choisir une photo : Cuisine, Sol")
    kitchen.set_input_files(str(second_photo))
    expect(page.locator("[data-photo-status]")).to_contain_text("1 gardée sur le téléphone")

    page.goto(server.url + inventory_path + "/signer")
    expect(page.get_by_role("heading", name="Signatures")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Nom de la personne qui signe").first.fill("Samira Benkirane")
    for n, canvas in enumerate(page.locator("canvas.signature-pad").all()):
        draw_signature(page, canvas, wobble=10 + 15 * n)  # two different hands
    screenshot(page, "inventory-sign-phone")
    page.get_by_role("button", name="Signer et verrouiller").click()
    expect(page.get_by_text("Enregistré sur le téléphone, envoi dès que le réseau revient.")
           ).to_be_visible()
    with server.app.app_context():
        assert db.session.get(Inventory, inventory_id).signed_at is None

    page.context.set_offline(False)
    expect(page).to_have_url(re.compile(rf"/edl/{inventory_id}$"))
    expect(page.get_by_text("Signé le")).to_be_visible()
    assert outbox_size(page) == 0
    with server.app.app_context():
        inventory = db.session.get(Inventory, inventory_id)
        photos = db.session.scalar(select(func.count(InventoryPhoto.id))
                                   .where(InventoryPhoto.inventory_id == inventory_id))
        assert inventory.signed_at is not None and photos == 2
        assert {s.party for s in inventory.signatures} == {"occupant", "association"}
        assert all(s.image for s in inventory.signatures)
    assert serious_violations(page) == []
    screenshot(page, "inventory-signed-phone")

    pdf = page.request.get(server.url + f"/edl/{inventory_id}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "État des lieux entrée" in text and "8 rue des Lilas" in text
    assert "Lino rayé près de l'évier" in text and "État d'usage" in text
    assert "Samira Benkirane" in text and inventory.signed_hash in text.replace("\n", "")
    distinct = {img.data for p in reader.pages for img in p.images}
    assert len(distinct) == 4  # two photos and two signatures
