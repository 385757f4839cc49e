"""Housing pages: access by team and role, forms refused with French messages in place,
receipts as PDF, navigation and demo data."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app import demo
from app.audit.models import AuditEvent
from app.extensions import db
from app.housing import queries, rules
from app.housing.models import Application, Contract, Flat, Payment, Renewal
from app.timeutil import today_paris, utcnow
from tests import factories

D = Decimal


@pytest.fixture
def today():
    return today_paris()


@pytest.fixture
def setup(team_a, worker, today):
    """A flat let since the 1st of last month to a household of team A, 250 € a month."""
    flat = factories.flat(team_a, address="8 rue des Essais", status="occupe")
    household = factories.household(team_a, name="Famille Essai", referent=worker)
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    contract = factories.contract(flat, household, start_on=start, rent="500.00",
                                  charges="60.00", apl="310.00")
    return flat, household, contract


def texts(pdf_bytes: bytes) -> str:
    """The PDF's text, whitespace and line breaks collapsed to single spaces."""
    return " ".join(" ".join(p.extract_text() for p in
                             PdfReader(io.BytesIO(pdf_bytes)).pages).split())


def denied(actor_id) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.actor_id == actor_id, AuditEvent.action == "access.denied"))


def test_volunteer_and_admin_without_case_role_get_403(client, auth, team_a, setup):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    for path in ("/logements/", f"/logements/{setup[0].id}",
                 f"/logements/contrats/{setup[2].id}", "/logements/candidatures/",
                 "/logements/echeances", "/logements/vacance"):
        assert client.get(path).status_code == 403, path
    assert denied(volunteer.id) >= 6
    auth.logout()
    admin = factories.user((team_a, "admin"))
    auth.login(admin.email)
    assert client.get("/logements/").status_code == 403


def test_another_teams_rows_are_404_and_audited(client, auth, team_b, setup, today):
    other = factories.user((team_b, "coordinator"))
    application = factories.application(setup[0].team)
    flat, household, contract = setup
    auth.login(other.email)
    month = contract.start_on
    for path in (f"/logements/{flat.id}", f"/logements/{flat.id}/modifier",
                 f"/logements/contrats/{contract.id}",
                 f"/logements/contrats/{contract.id}/renouveler",
                 f"/logements/contrats/{contract.id}/paiements/nouveau",
                 f"/logements/contrats/{contract.id}/quittances/{month:%Y-%m}.pdf",
                 f"/logements/candidatures/{application.id}",
                 f"/logements/menages/{household.id}"):
        assert client.get(path).status_code == 404, path
    response = client.post(f"/logements/contrats/{contract.id}/paiements/nouveau",
                           data={"paid_on": today.isoformat(), "amount": "10",
                                 "method": "virement"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    assert denied(other.id) == 9
    assert "Famille Essai" not in client.get("/logements/").page


def test_a_payment_of_another_contract_is_404_and_audited(client, auth, worker, team_a,
                                                          setup, today):
    other = factories.contract(factories.flat(team_a), factories.household(team_a),
                               start_on=setup[2].start_on)
    payment = Payment(contract=other, paid_on=other.start_on, amount=D("10"), method="cheque")
    db.session.add(payment)
    db.session.commit()
    auth.login(worker.email)
    url = f"/logements/contrats/{setup[2].id}/paiements/{payment.id}/annuler"
    assert client.post(url, data={"reason": "x"}).status_code == 404
    assert db.session.get(Payment, payment.id).cancelled_at is None
    assert db.session.scalar(select(AuditEvent.object_type).where(
        AuditEvent.action == "access.denied")) == "payment"


def test_index_lists_my_flats_with_occupant_and_balance(client, auth, worker, setup):
    auth.login(worker.email)
    page = client.get("/logements/").page
    assert "8 rue des Essais" in page and "Famille Essai" in page
    assert "Solde dû 500,00" in page  # last month and this month unpaid
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "flat.list"))


def test_contract_page_shows_account_receipts_deadlines_and_is_audited(client, auth, worker,
                                                                       setup):
    auth.login(worker.email)
    contract = setup[2]
    page = client.get(f"/logements/contrats/{contract.id}").page
    for text in ("Contrat de Famille Essai", "0 sur 2", "Part du ménage par mois",
                 "Reste dû", "Quittances", "Impayés", "Fin de contrat",
                 "Plus d'un mois de loyer (250,00"):
        assert text in page, text
    assert db.session.scalar(select(AuditEvent.object_id).where(
        AuditEvent.action == "contract.read")) == contract.id


def test_payment_of_zero_is_refused_in_place_and_nothing_saved(client, auth, worker, setup,
                                                               today):
    auth.login(worker.email)
    url = f"/logements/contrats/{setup[2].id}/paiements/nouveau"
    response = client.post(url, data={"paid_on": today.isoformat(), "amount": "0",
                                      "method": "virement", "reference": "chèque 42"})
    assert response.status_code == 422
    assert "Le montant doit être supérieur à zéro." in response.page
    assert 'aria-invalid="true"' in response.page
    assert 'value="chèque 42"' in response.page  # what was typed is kept
    response = client.post(url, data={"paid_on": today.isoformat(), "amount": "12,345",
                                      "method": "virement"})
    assert "Deux chiffres après la virgule" in response.page
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    response = client.post(url, data={"paid_on": today.isoformat(), "amount": "1 250,50",
                                      "method": "cheque"})
    assert response.status_code == 302
    assert db.session.scalar(select(Payment.amount)) == D("1250.50")


def test_third_renewal_refused_on_the_page_and_on_post(client, auth, worker, setup, today):
    auth.login(worker.email)
    contract = setup[2]
    url = f"/logements/contrats/{contract.id}/renouveler"
    data = {"decided_on": today.isoformat(), "decided_by": "Commission", "reason": "Projet"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    page = client.get(url).page
    assert "Un troisième renouvellement n'est pas possible" in page
    assert "<form method=\"post\"" not in page.split("<main")[1]
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "Un troisième renouvellement n'est pas possible" in response.page
    assert db.session.scalar(select(func.count(Renewal.id))) == 2


def test_overlapping_contract_refused_on_the_form(client, auth, worker, team_a, setup, today):
    auth.login(worker.email)
    other = factories.household(team_a, name="Deuxième ménage")
    response = client.post(f"/logements/{setup[0].id}/contrats/nouveau", data={
        "household_id": other.id, "kind": "sous_location", "start_on": today.isoformat(),
        "rent": "400", "charges": "50", "apl": "0"})
    assert response.status_code == 422
    assert "un logement ne peut pas être loué à deux ménages à la fois" in response.page
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_dates_in_the_wrong_order_refused_on_the_exit_form(client, auth, worker, setup):
    auth.login(worker.email)
    contract = setup[2]
    before = contract.start_on - timedelta(days=1)
    response = client.post(f"/logements/contrats/{contract.id}/sortie", data={
        "ended_on": before.isoformat(), "reason": "relogement", "destination": "rue"})
    assert response.status_code == 422
    assert "La date de sortie ne peut pas précéder l'entrée" in response.page
    assert db.session.get(Contract, contract.id).ended_on is None
    response = client.post(f"/logements/contrats/{contract.id}/sortie", data={
        "ended_on": "pas une date", "reason": "relogement", "destination": "rue"})
    assert response.status_code == 422 and "Date invalide" in response.page


def test_receipt_pdf_is_a_french_quittance_when_paid(client, auth, worker, setup):
    auth.login(worker.email)
    contract = setup[2]
    month = contract.start_on
    client.post(f"/logements/contrats/{contract.id}/paiements/nouveau", data={
        "paid_on": month.isoformat(), "amount": "250", "method": "virement"})
    response = client.get(f"/logements/contrats/{contract.id}/quittances/{month:%Y-%m}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = texts(response.data)
    for fragment in ("Quittance de loyer", "Famille Essai", "8 rue des Essais",
                     "Période du 1er", "Loyer", "500,00", "310,00", "250,00",
                     "en donne quittance"):
        assert fragment in text, fragment
    this_month = rules.first_of_month(today_paris())
    response = client.get(f"/logements/contrats/{contract.id}/quittances/"
                          f"{this_month:%Y-%m}.pdf")
    assert "Avis d’échéance" in texts(response.data)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "receipt.print")) == 2


def test_receipt_for_a_month_not_due_is_404(client, auth, worker, setup):
    auth.login(worker.email)
    contract = setup[2]
    before = contract.start_on - timedelta(days=1)
    assert client.get(f"/logements/contrats/{contract.id}/quittances/"
                      f"{before:%Y-%m}.pdf").status_code == 404


def test_partial_payment_gives_a_partial_receipt(client, auth, worker, setup):
    auth.login(worker.email)
    contract = setup[2]
    month = contract.start_on
    client.post(f"/logements/contrats/{contract.id}/paiements/nouveau", data={
        "paid_on": month.isoformat(), "amount": "100", "method": "especes"})
    text = texts(client.get(f"/logements/contrats/{contract.id}/quittances/"
                            f"{month:%Y-%m}.pdf").data)
    assert "Reçu de paiement partiel" in text and "ne vaut pas quittance" in text
    assert "150,00" in text


def test_admission_through_the_pages(client, auth, worker, team_a, today):
    flat = factories.flat(team_a, address="5 allée Libre")
    auth.login(worker.email)
    response = client.post("/logements/candidatures/nouvelle", data={
        "team_id": team_a.id, "name": "Mme Sow", "received_on": today.isoformat(),
        "source": "partenaire", "partner": "", "adults": "1", "children": "1",
        "wanted": ""})
    assert response.status_code == 422
    assert "Précisez le partenaire" in response.page and 'value="Mme Sow"' in response.page
    response = client.post("/logements/candidatures/nouvelle", data={
        "team_id": team_a.id, "name": "Mme Sow", "received_on": today.isoformat(),
        "source": "siao", "adults": "1", "children": "1", "wanted": "T2"})
    application = db.session.scalar(select(Application))
    assert response.headers["Location"].endswith(f"/candidatures/{application.id}")
    base = f"/logements/candidatures/{application.id}"
    assert client.post(base + "/entretien", data={
        "interview_on": today.isoformat(), "admissible": "oui"}).status_code == 302
    assert client.post(base + "/commission", data={
        "commission_on": today.isoformat(), "members": "Équipe, SIAO",
        "decision": "admis"}).status_code == 302
    page = client.get("/logements/candidatures/").page
    assert "Mme Sow" in page.split("Liste d'attente")[1]
    entry = client.get(base + "/entree").page
    assert "5 allée Libre" in entry
    response = client.post(base + "/entree", data={
        "unit": f"flat:{flat.id}", "kind": "occupation", "start_on": today.isoformat(),
        "rent": "420", "charges": "40", "apl": "210", "referent_id": worker.id})
    assert response.status_code == 422
    assert "La convention d'occupation est réservée aux lieux de vie collectifs" in \
        response.page.split('id="kind-error"')[1]
    response = client.post(base + "/entree", data={
        "unit": "", "kind": "sous_location", "start_on": today.isoformat(),
        "rent": "420", "charges": "40", "apl": "210", "referent_id": worker.id})
    assert "Choisissez un logement ou une place" in response.page.split('id="unit-error"')[1]
    response = client.post(base + "/entree", data={
        "unit": f"flat:{flat.id}", "kind": "sous_location", "start_on": today.isoformat(),
        "rent": "420", "charges": "40", "apl": "210", "referent_id": worker.id})
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.household.name == "Mme Sow" and contract.flat_id == flat.id
    assert db.session.get(Flat, flat.id).status == "occupe"
    housing = client.get(f"/logements/menages/{contract.household_id}").page
    assert "5 allée Libre" in housing and "Reçue le" in housing


def test_flat_form_create_and_edit(client, auth, worker, team_a):
    auth.login(worker.email)
    response = client.post("/logements/nouveau", data={
        "team_id": team_a.id, "address": "", "postcode": "31000", "city": "Toulouse",
        "kind": "T2", "status": "vacant", "landlord_rent": "abc"})
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.page
    assert "Montant invalide" in response.page
    response = client.post("/logements/nouveau", data={
        "team_id": team_a.id, "address": "7 rue Neuve", "postcode": "31000",
        "city": "Toulouse", "kind": "collectif", "name": "La Maison", "status": "vacant",
        "surface_m2": "95,5", "landlord_rent": "1 200,00", "animals_allowed": "y",
        "rules": "Pas de bruit après 22 h", "water_meter": "W-1"})
    assert response.status_code == 302
    flat = db.session.scalar(select(Flat).where(Flat.address == "7 rue Neuve"))
    assert (flat.surface_m2, flat.landlord_rent, flat.animals_allowed) == (95.5, D("1200.00"),
                                                                           True)
    client.post(f"/logements/{flat.id}/places", data={"label": "Chambre A"})
    page = client.get(f"/logements/{flat.id}").page
    assert "Chambre A" in page and "acceptés" in page and "Pas de bruit" in page
    response = client.post(f"/logements/{flat.id}/places", data={"label": "chambre a"})
    assert response.status_code == 422 and "porte déjà ce nom" in response.page
    response = client.post(f"/logements/{flat.id}/modifier", data={
        "address": "7 rue Neuve", "postcode": "31000", "city": "Toulouse", "kind": "collectif",
        "status": "travaux"})
    assert response.status_code == 302
    assert db.session.get(Flat, flat.id).status == "travaux"


def test_an_occupied_flat_is_edited_without_touching_its_status(client, auth, worker, setup):
    auth.login(worker.email)
    flat = setup[0]
    page = client.get(f"/logements/{flat.id}/modifier").page
    assert 'name="status"' not in page
    response = client.post(f"/logements/{flat.id}/modifier", data={
        "address": "8 rue des Essais", "postcode": "31000", "city": "Toulouse", "kind": "T3",
        "water_meter": "EAU-77", "landlord_rent": "610,00"})
    assert response.status_code == 302
    flat = db.session.get(Flat, flat.id)
    assert (flat.status, flat.kind, flat.water_meter, flat.landlord_rent) == (
        "occupe", "T3", "EAU-77", D("610.00"))
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "flat.update"))["fields"] == ["kind", "landlord_rent",
                                                           "water_meter"]


def test_deadlines_and_vacancy_pages(client, auth, worker, setup):
    auth.login(worker.email)
    page = client.get("/logements/echeances").page
    assert "Fin du contrat de Famille Essai" in page
    assert "Décider du renouvellement" in page
    assert "Impayé de 500,00" in page
    page = client.get("/logements/vacance").page
    assert "8 rue des Essais" in page and "Jours de vacance" in page


def test_vacancy_filtered_by_team_says_so_and_keeps_it_across_years(client, auth, worker,
                                                                    setup, team_a):
    auth.login(worker.email)
    year = today_paris().year
    page = client.get(f"/logements/vacance?equipe={team_a.id}").page
    assert "8 rue des Essais" in page and "Équipe : IML A" in page
    assert f"/logements/vacance?annee={year - 1}&equipe={team_a.id}" in page
    other = factories.team("iml", name="IML Ailleurs")
    page = client.get(f"/logements/vacance?equipe={other.id}").page
    assert "8 rue des Essais" not in page and "aucune de vos équipes" in page


def test_logements_in_the_laptop_bar_and_on_the_plus_page_not_the_phone_bar(client, auth,
                                                                            worker, team_a):
    auth.login(worker.email)
    page = client.get("/plus").page
    tools = page.split("Outils")[1]
    assert "/logements/" in tools
    bottom = page.split('aria-label="Navigation principale (mobile)"')[1]
    assert "/logements/" not in bottom
    top = page.split('aria-label="Navigation principale"')[1].split("</nav>")[0]
    assert "Logements" in top
    auth.logout()
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    assert "/logements/" not in client.get("/plus").page


def test_demo_housing(app):
    demo.load(utcnow())
    today = today_paris()
    contracts = list(db.session.scalars(select(Contract)))
    running = [c for c in contracts if c.ended_on is None]
    occupied = db.session.scalars(select(Flat).where(Flat.status == "occupe")).all()
    assert {c.flat_id for c in running} == {f.id for f in occupied}
    assert any(c.renewals_used == 1 for c in running)
    assert any(c.renewals_used == 2 for c in running)
    assert any(rules.arrears_since(c, today) for c in running)
    assert any(c.end_on and 0 <= (c.end_on - today).days <= 60 for c in running)
    collective = db.session.scalar(select(Flat).where(Flat.kind == "collectif"))
    assert collective.animals_allowed and len(collective.places) == 6 and collective.rules
    waiting = queries.waiting_list(db.session.scalars(select(Application)))
    assert len(waiting) >= 3
    assert all(c.payments for c in contracts)
    kinds = {d.kind for d in queries.deadlines({c.team_id for c in contracts}, today)}
    assert kinds == {"contract_end", "renewal_decision", "glide", "arrears"}
