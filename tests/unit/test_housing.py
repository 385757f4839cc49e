"""Housing use cases: contracts, renewals, exits, rent, arrears, admissions, deadlines,
vacancy and the timeline, with dates passed explicitly at the boundaries."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.households.models import Household
from app.housing import queries, rules, services
from app.housing.models import Application, Contract, Flat, Payment, Place, Renewal
from app.housing.services import HousingError
from app.formatting import money
from app.timeline import KINDS, events_for
from tests import factories

D = Decimal


def at(y, m, d):
    """10:00 UTC on that day: the same calendar day in Paris."""
    return datetime(y, m, d, 10, 0)


@pytest.fixture
def coord(team_a):
    return factories.user((team_a, "coordinator"), display_name="Nadia Coord")


@pytest.fixture
def flat(team_a):
    return factories.flat(team_a, address="8 rue des Essais")


@pytest.fixture
def family(team_a):
    return factories.household(team_a, name="Famille Test")


def sign(actor, flat, household, start=date(2026, 1, 1), now=at(2026, 1, 1), **kw):
    kw.setdefault("kind", "sous_location")
    return services.sign_contract(actor, flat, household, start_on=start, rent=D("500"),
                                  charges=D("60"), apl=D("310"), now=now, **kw)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def error_of(call) -> HousingError:
    with pytest.raises(HousingError) as info:
        call()
    db.session.rollback()
    return info.value


# -- Signing ---------------------------------------------------------------------------------


def test_sign_contract_occupies_the_flat_and_records_terms(worker, flat, family):
    c = sign(worker, flat, family)
    assert flat.status == "occupe"
    assert c.team_id == flat.team_id and c.term_months == 6 and c.max_renewals == 2
    assert c.end_on == date(2026, 6, 30) and c.max_end_on == date(2027, 6, 30)
    assert c.terms_on(date(2026, 1, 1)).monthly_due == D("250.00")
    assert flat.managed_since == date(2026, 1, 1)
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "contract.sign")) == "contract.sign"


def test_a_flat_cannot_be_let_to_two_households_at_once(worker, team_a, flat, family):
    sign(worker, flat, family)
    other = factories.household(team_a, name="Autre ménage")
    exc = error_of(lambda: sign(worker, flat, other, start=date(2026, 3, 1),
                                now=at(2026, 3, 1)))
    assert "déjà attribué à Famille Test" in str(exc)
    assert "deux ménages à la fois" in str(exc)
    assert exc.field == "start_on"
    assert count(Contract) == 1


def test_next_household_may_enter_the_day_after_the_exit_not_on_it(worker, team_a, flat,
                                                                     family):
    c = sign(worker, flat, family)
    services.end_contract(worker, c, ended_on=date(2026, 3, 31), reason="relogement",
                          destination="logement_social", now=at(2026, 4, 2))
    other = factories.household(team_a, name="Ménage suivant")
    exc = error_of(lambda: sign(worker, flat, other, start=date(2026, 3, 31),
                                now=at(2026, 4, 2)))
    assert "jusqu'au 31 mars 2026" in str(exc)
    assert sign(worker, flat, other, start=date(2026, 4, 1), now=at(2026, 4, 2)).id


def test_a_household_occupies_one_home_at_a_time(worker, team_a, flat, family):
    sign(worker, flat, family)
    second = factories.flat(team_a)
    exc = error_of(lambda: sign(worker, second, family, start=date(2026, 2, 1)))
    assert "Famille Test occupe déjà" in str(exc)


@pytest.mark.parametrize("changes,field,message", [
    ({"rent": D("-1")}, "rent", "ne peut pas être négatif"),
    ({"apl": D("600")}, "apl", "ne peut pas dépasser le loyer"),
    ({"kind": "occupation"}, "kind", "réservée aux lieux de vie collectifs"),
    ({"kind": "bail_glissant"}, "glide_planned_on", "date de glissement prévue"),
    ({"kind": "bail_glissant", "glide_planned_on": date(2026, 1, 1)}, "glide_planned_on",
     "postérieure à l'entrée"),
    ({"start_on": None}, "start_on", "date d'entrée"),
])
def test_bad_contracts_are_refused_and_nothing_is_saved(worker, flat, family, changes, field,
                                                          message):
    kw = dict(kind="sous_location", start_on=date(2026, 1, 1), rent=D("500"), charges=D("60"),
              apl=D("0"), now=at(2026, 1, 1))
    kw.update(changes)
    exc = error_of(lambda: services.sign_contract(worker, flat, family, **kw))
    assert exc.field == field and message in str(exc)
    assert count(Contract) == 0
    assert db.session.get(Flat, flat.id).status == "vacant"


def test_a_household_of_another_team_or_a_returned_flat_is_refused(worker, team_b, flat,
                                                                     family):
    stranger = factories.household(team_b)
    assert "n'est pas suivi" in str(error_of(lambda: sign(worker, flat, stranger)))
    flat.status = "rendu"
    db.session.commit()
    assert "rendu au bailleur" in str(error_of(lambda: sign(worker, flat, family)))


def test_someone_outside_the_team_cannot_sign(team_b, flat, family):
    outsider = factories.user((team_b, "worker"))
    assert "pas membre" in str(error_of(lambda: sign(outsider, flat, family)))


def test_collective_place_is_let_place_by_place(worker, team_a):
    house = factories.flat(team_a, kind="collectif", name="Les Lilas")
    one = services.add_place(worker, house, "Chambre 1", None, now=at(2026, 1, 1))
    two = services.add_place(worker, house, "Chambre 2", "accessible", now=at(2026, 1, 1))
    assert "porte déjà ce nom" in str(error_of(
        lambda: services.add_place(worker, house, "chambre 1", None, now=at(2026, 1, 1))))
    a, b = factories.household(team_a), factories.household(team_a)
    assert "convention d'occupation" in str(error_of(lambda: sign(worker, house, a, place=one)))
    assert "Choisissez la place" in str(error_of(lambda: sign(worker, house, a,
                                                                kind="occupation")))
    ca = sign(worker, house, a, kind="occupation", place=one)
    assert ca.end_on is None and ca.max_renewals is None
    assert "Cette place est déjà attribuée" in str(error_of(
        lambda: sign(worker, house, b, kind="occupation", place=one, start=date(2026, 2, 1))))
    sign(worker, house, b, kind="occupation", place=two, start=date(2026, 2, 1))
    services.end_contract(worker, ca, ended_on=date(2026, 3, 1), reason="depart_volontaire",
                          destination="famille_tiers", now=at(2026, 3, 2))
    assert house.status == "occupe"  # another place is still taken
    assert count(Place) == 2


# -- Renewals --------------------------------------------------------------------------------


def renew(actor, c, on, now=None):
    return services.renew(actor, c, decided_on=on, decided_by="Commission IML",
                          reason="Projet logement en cours", now=now or at(on.year, on.month,
                                                                            on.day))


def test_sous_location_renews_twice_then_a_third_renewal_is_refused(coord, flat, family):
    c = sign(coord, flat, family, start=date(2025, 8, 31), now=at(2025, 8, 31))
    assert c.end_on == date(2026, 2, 28)
    r1 = renew(coord, c, date(2026, 2, 10))
    assert (r1.number, r1.new_end_on, c.end_on) == (1, date(2026, 8, 30), date(2026, 8, 30))
    r2 = renew(coord, c, date(2026, 8, 30))  # on the last day of the period
    assert (r2.number, c.end_on, c.renewals_left) == (2, date(2027, 2, 28), 0)
    exc = error_of(lambda: renew(coord, c, date(2027, 1, 15)))
    assert "déjà été renouvelé 2 fois" in str(exc)
    assert "Un troisième renouvellement n'est pas possible" in str(exc)
    assert "18 mois" in str(exc)
    assert count(Renewal) == 2
    assert r1.decided_by == "Commission IML" and r1.reason == "Projet logement en cours"
    assert r1.recorded_by_id == coord.id


def test_renewal_on_the_last_day_is_accepted_the_day_after_refused(worker, flat, family):
    c = sign(worker, flat, family, start=date(2026, 1, 1))
    exc = error_of(lambda: renew(worker, c, date(2026, 7, 1)))
    assert "a pris fin le 30 juin 2026" in str(exc) and exc.field == "decided_on"
    assert renew(worker, c, date(2026, 6, 30)).new_end_on == date(2026, 12, 31)


@pytest.mark.parametrize("decided_on,now,message", [
    (date(2025, 12, 31), at(2026, 1, 5), "ne peut pas précéder l'entrée"),
    (date(2026, 2, 1), at(2026, 1, 31), "ne peut pas être dans le futur"),
    (None, at(2026, 1, 5), "date de la décision"),
])
def test_renewal_dates_in_the_wrong_order_are_refused(worker, flat, family, decided_on, now,
                                                       message):
    c = sign(worker, flat, family)
    assert message in str(error_of(lambda: services.renew(
        worker, c, decided_on=decided_on, decided_by="X", reason="Y", now=now)))


def test_renewal_needs_who_and_why(worker, flat, family):
    c = sign(worker, flat, family)
    exc = error_of(lambda: services.renew(worker, c, decided_on=date(2026, 3, 1),
                                          decided_by=" ", reason="ok", now=at(2026, 3, 1)))
    assert exc.field == "decided_by"
    exc = error_of(lambda: services.renew(worker, c, decided_on=date(2026, 3, 1),
                                          decided_by="Moi", reason="", now=at(2026, 3, 1)))
    assert exc.field == "reason"


def test_an_ended_contract_or_a_convention_without_term_is_not_renewed(worker, team_a, flat,
                                                                       family):
    c = sign(worker, flat, family)
    services.end_contract(worker, c, ended_on=date(2026, 2, 1), reason="autre",
                          destination="inconnue", now=at(2026, 2, 1))
    assert "ne peut plus être renouvelé" in str(error_of(lambda: renew(worker, c,
                                                                       date(2026, 2, 1))))
    house = factories.flat(team_a, kind="collectif")
    place = services.add_place(worker, house, "Chambre 1", None, now=at(2026, 1, 1))
    conv = sign(worker, house, factories.household(team_a), kind="occupation", place=place)
    assert "pas de terme" in str(error_of(lambda: renew(worker, conv, date(2026, 2, 1))))


# -- Exit, glide, SIAO -----------------------------------------------------------------------


def test_ending_records_exit_and_frees_the_flat(worker, flat, family):
    c = sign(worker, flat, family)
    services.end_contract(worker, c, ended_on=date(2026, 5, 20), reason="relogement",
                          destination="logement_social", note="T3 Habitat 31",
                          now=at(2026, 5, 21))
    assert (c.ended_on, c.exit_reason_label, c.exit_destination_label) == (
        date(2026, 5, 20), "Relogement", "Logement social")
    assert c.ended_by_id == worker.id and flat.status == "vacant"
    assert "déjà enregistrée" in str(error_of(lambda: services.end_contract(
        worker, c, ended_on=date(2026, 5, 21), reason="autre", destination="autre",
        now=at(2026, 5, 21))))


@pytest.mark.parametrize("ended_on,reason,destination,field", [
    (date(2025, 12, 31), "relogement", "rue", "ended_on"),   # before the entry
    (date(2026, 3, 2), "relogement", "rue", "ended_on"),     # in the future
    (date(2026, 2, 1), "", "rue", "reason"),
    (date(2026, 2, 1), "relogement", None, "destination"),
])
def test_bad_exits_are_refused_and_the_flat_stays_occupied(worker, flat, family, ended_on,
                                                           reason, destination, field):
    c = sign(worker, flat, family)
    exc = error_of(lambda: services.end_contract(worker, c, ended_on=ended_on, reason=reason,
                                                 destination=destination, now=at(2026, 3, 1)))
    assert exc.field == field
    fresh = db.session.get(Contract, c.id)
    assert fresh.ended_on is None and fresh.flat.status == "occupe"


def test_exit_on_the_entry_day_is_accepted(worker, flat, family):
    c = sign(worker, flat, family)
    services.end_contract(worker, c, ended_on=date(2026, 1, 1), reason="depart_volontaire",
                          destination="famille_tiers", now=at(2026, 1, 1))
    assert c.ended_on == date(2026, 1, 1)


def test_bail_glissant_glides_to_the_household(worker, flat, family):
    c = sign(worker, flat, family, kind="bail_glissant", glide_planned_on=date(2026, 12, 1))
    deadlines = queries.deadlines({flat.team_id}, date(2026, 6, 1))
    assert ("glide", date(2026, 12, 1)) in [(d.kind, d.due_on) for d in deadlines]
    services.record_glide(worker, c, glided_on=date(2026, 11, 1), now=at(2026, 11, 2))
    assert (c.glided_on, c.ended_on, c.exit_reason, c.exit_destination) == (
        date(2026, 11, 1), date(2026, 10, 31), "glissement", "bail_glisse")
    assert flat.status == "rendu" and flat.returned_on == date(2026, 10, 31)
    assert queries.deadlines({flat.team_id}, date(2026, 11, 2)) == []


def test_only_a_bail_glissant_glides(worker, flat, family):
    c = sign(worker, flat, family)
    assert "Seul un bail glissant" in str(error_of(lambda: services.record_glide(
        worker, c, glided_on=date(2026, 3, 1), now=at(2026, 3, 1))))


def test_exit_declared_to_the_siao_counts_days_ahead(worker, flat, family):
    c = sign(worker, flat, family)
    services.declare_exit(worker, c, exit_planned_on=date(2026, 6, 30),
                          declared_on=date(2026, 5, 1), now=at(2026, 5, 1))
    assert c.siao_days_ahead == 60
    services.end_contract(worker, c, ended_on=date(2026, 6, 15), reason="relogement",
                          destination="logement_prive", now=at(2026, 6, 15))
    assert c.siao_days_ahead == 45  # the actual exit wins over the planned one
    assert queries.exit_declarations(worker, 2026) == [c]
    late = services.declare_exit
    exc = error_of(lambda: late(worker, c, exit_planned_on=date(2025, 6, 30),
                                declared_on=date(2026, 5, 1), now=at(2026, 5, 1)))
    assert exc.field == "exit_planned_on"


# -- Rent and payments -----------------------------------------------------------------------


@pytest.mark.parametrize("amount,message", [
    (D("0"), "supérieur à zéro"), (D("-10"), "supérieur à zéro"), (None, "Indiquez le montant"),
    (D("100000"), "trop élevé"),
])
def test_payment_amount_must_be_positive(worker, flat, family, amount, message):
    c = sign(worker, flat, family)
    exc = error_of(lambda: services.record_payment(worker, c, paid_on=date(2026, 1, 5),
                                                   amount=amount, method="virement",
                                                   now=at(2026, 1, 5)))
    assert message in str(exc) and exc.field == "amount"
    assert count(Payment) == 0


def test_payment_dates_and_method_are_checked(worker, flat, family):
    c = sign(worker, flat, family)
    pay = services.record_payment
    assert "dans le futur" in str(error_of(lambda: pay(
        worker, c, paid_on=date(2026, 1, 6), amount=D("10"), method="cheque",
        now=at(2026, 1, 5))))
    assert "précéder l'entrée" in str(error_of(lambda: pay(
        worker, c, paid_on=date(2025, 12, 31), amount=D("10"), method="cheque",
        now=at(2026, 1, 5))))
    assert "moyen de paiement" in str(error_of(lambda: pay(
        worker, c, paid_on=date(2026, 1, 5), amount=D("10"), method="bitcoin",
        now=at(2026, 1, 5))))


def test_balance_runs_with_payments_and_cancellations(worker, flat, family):
    c = sign(worker, flat, family)  # 250 € a month
    p = services.record_payment(worker, c, paid_on=date(2026, 1, 5), amount=D("250"),
                                method="virement", now=at(2026, 1, 5))
    services.record_payment(worker, c, paid_on=date(2026, 2, 5), amount=D("100.50"),
                            method="especes", reference="reçu 12", now=at(2026, 2, 5))
    assert rules.balance(c, date(2026, 2, 28)) == D("149.50")
    assert isinstance(rules.balance(c, date(2026, 2, 28)), Decimal)
    services.cancel_payment(worker, p, "Saisi deux fois", now=at(2026, 2, 6))
    assert rules.balance(c, date(2026, 2, 28)) == D("399.50")
    assert "déjà annulé" in str(error_of(lambda: services.cancel_payment(
        worker, p, "encore", now=at(2026, 2, 6))))
    assert count(Payment) == 2  # cancelled, never deleted


def test_rent_revision_from_the_first_of_a_month(worker, flat, family):
    c = sign(worker, flat, family)
    exc = error_of(lambda: services.change_rent(worker, c, effective_on=date(2026, 3, 15),
                                                rent=D("500"), charges=D("60"), apl=D("200"),
                                                now=at(2026, 3, 1)))
    assert "1er d'un mois" in str(exc)
    services.change_rent(worker, c, effective_on=date(2026, 3, 1), rent=D("500"),
                         charges=D("60"), apl=D("200"), note="Nouvelle APL", now=at(2026, 3, 1))
    dues = [d.amount for d in rules.monthly_dues(c, date(2026, 3, 1))]
    assert dues == [D("250.00"), D("250.00"), D("360.00")]


def test_arrears_steps_record_who_did_each(worker, coord, team_b, flat, family):
    c = sign(worker, flat, family)
    step = services.record_arrears_step(worker, c, kind="relance_amiable",
                                        done_on=date(2026, 3, 10), done_by_id=coord.id,
                                        note="Appel et courrier", now=at(2026, 3, 10))
    plan = services.record_arrears_step(worker, c, kind="plan_apurement",
                                        done_on=date(2026, 3, 20), done_by_id=worker.id,
                                        monthly_amount=D("40"), now=at(2026, 3, 20))
    assert (step.done_by.display_name, step.kind_label) == ("Nadia Coord", "Relance amiable")
    assert plan.monthly_amount == D("40.00")
    stranger = factories.user((team_b, "worker"))
    exc = error_of(lambda: services.record_arrears_step(
        worker, c, kind="fsl_maintien", done_on=date(2026, 3, 20), done_by_id=stranger.id,
        now=at(2026, 3, 20)))
    assert exc.field == "done_by_id"
    exc = error_of(lambda: services.record_arrears_step(
        worker, c, kind="signalement_ccapex", done_on=date(2026, 3, 21), done_by_id=worker.id,
        now=at(2026, 3, 20)))
    assert "futur" in str(exc)


# -- Deadlines -------------------------------------------------------------------------------


def test_deadlines_contract_end_renewal_decision_and_arrears(worker, team_a, team_b, flat,
                                                             family):
    c = sign(worker, flat, family, start=date(2026, 3, 1), now=at(2026, 3, 1))
    services.record_payment(worker, c, paid_on=date(2026, 3, 3), amount=D("250"),
                            method="virement", now=at(2026, 3, 3))
    ds = queries.deadlines({team_a.id}, date(2026, 3, 31))
    assert [(d.kind, d.due_on) for d in ds] == [("renewal_decision", date(2026, 7, 31)),
                                                ("contract_end", date(2026, 8, 31))]
    end = ds[1]
    assert (end.contract_id, end.flat_id, end.household_id, end.team_id) == (
        c.id, flat.id, family.id, team_a.id)
    assert "Famille Test" in end.label and "0 renouvellement sur 2" in end.label
    assert end.days_left(date(2026, 3, 31)) == 153
    # April unpaid: 250 € owed is one month, not above it. May unpaid too: 500 € owed.
    assert "arrears" not in [d.kind for d in queries.deadlines({team_a.id}, date(2026, 4, 30))]
    arrears = [d for d in queries.deadlines({team_a.id}, date(2026, 5, 10))
               if d.kind == "arrears"]
    assert [(d.due_on, d.amount) for d in arrears] == [(date(2026, 5, 1), D("500.00"))]
    assert "Impayé de 500,00" in arrears[0].label
    assert queries.deadlines({team_b.id}, date(2026, 5, 10)) == []
    assert queries.deadlines(set(), date(2026, 5, 10)) == []


def test_no_renewal_decision_once_both_renewals_are_used(worker, flat, family):
    c = sign(worker, flat, family, start=date(2026, 1, 1), now=at(2026, 1, 1))
    renew(worker, c, date(2026, 6, 1))
    renew(worker, c, date(2026, 12, 1))
    kinds = {d.kind: d for d in queries.deadlines({flat.team_id}, date(2026, 12, 2))}
    assert set(kinds) == {"contract_end", "arrears"}  # nothing paid in this test
    assert kinds["contract_end"].due_on == date(2027, 6, 30)
    assert kinds["contract_end"].renewals_left == 0
    assert "plus de renouvellement possible" in kinds["contract_end"].label


def test_renewal_decision_due_one_month_before_a_february_end(worker, flat, family):
    sign(worker, flat, family, start=date(2025, 9, 1), now=at(2025, 9, 1))
    due = {d.kind: d.due_on for d in queries.deadlines({flat.team_id}, date(2025, 9, 2))}
    assert due == {"contract_end": date(2026, 2, 28), "renewal_decision": date(2026, 1, 28)}


# -- Admissions ------------------------------------------------------------------------------


def new_application(actor, team, **values):
    base = dict(name="Mme Diallo", received_on=date(2026, 1, 5), source="siao", adults=1,
                children=2, siao_ref="SIAO-1")
    base.update(values)
    return services.create_application(actor, team.id, base, now=at(2026, 1, 5))


def test_admission_from_candidature_to_entry_creates_household_and_contract(worker, team_a,
                                                                             flat):
    a = new_application(worker, team_a)
    assert a.status == "recue" and a.composition == "1 adulte, 2 enfants"
    services.record_interview(worker, a, interview_on=date(2026, 1, 12), admissible=True,
                              notes="Motivée", now=at(2026, 1, 12))
    services.record_decision(worker, a, commission_on=date(2026, 1, 20),
                             members="Cheffe de service, SIAO", decision="admis", reason=None,
                             now=at(2026, 1, 20))
    assert a.status == "admis"
    households = count(Household)
    c = services.enter(worker, a, flat=flat, place=None, kind="sous_location",
                       start_on=date(2026, 2, 1), rent=D("450"), charges=D("50"),
                       apl=D("300"), referent_id=worker.id, now=at(2026, 2, 1))
    assert count(Household) == households + 1
    h = c.household
    assert (h.name, h.team_id, h.referent_id) == ("Mme Diallo", team_a.id, worker.id)
    assert (a.status, a.entered_on, a.household_id, a.contract_id) == (
        "entree", date(2026, 2, 1), h.id, c.id)
    # The case file shows the programme from the day of entry, and the name is searchable.
    assert [(e.team_id, e.programme, e.entry_date) for e in h.enrolments] == [
        (team_a.id, team_a.programme, date(2026, 2, 1))]
    assert "diallo" in h.search_text
    assert flat.status == "occupe"
    assert "déjà entré" in str(error_of(lambda: services.withdraw(
        worker, a, withdrawn_on=date(2026, 2, 2), reason="x", now=at(2026, 2, 2))))


def test_entry_refused_keeps_nothing_half_way(worker, team_a, flat, family):
    sign(worker, flat, family)
    a = new_application(worker, team_a)
    services.record_interview(worker, a, interview_on=date(2026, 1, 6), admissible=True,
                              notes=None, now=at(2026, 1, 6))
    services.record_decision(worker, a, commission_on=date(2026, 1, 7), members="Équipe",
                             decision="admis", reason=None, now=at(2026, 1, 7))
    households = count(Household)
    exc = error_of(lambda: services.enter(worker, a, flat=flat, place=None,
                                          kind="sous_location", start_on=date(2026, 2, 1),
                                          rent=D("450"), charges=D("50"), apl=D("0"),
                                          referent_id=worker.id, now=at(2026, 2, 1)))
    assert "deux ménages à la fois" in str(exc)
    assert count(Household) == households and count(Contract) == 1
    assert db.session.get(Application, a.id).status == "admis"


def test_admission_steps_in_order(worker, team_a, flat):
    a = new_application(worker, team_a)
    exc = error_of(lambda: services.record_decision(worker, a, commission_on=date(2026, 1, 20),
                                                    members="X", decision="admis", reason=None,
                                                    now=at(2026, 1, 20)))
    assert "entretien d'admissibilité" in str(exc)
    exc = error_of(lambda: services.record_interview(worker, a, interview_on=date(2026, 1, 4),
                                                     admissible=True, notes=None,
                                                     now=at(2026, 1, 20)))
    assert "précéder la réception" in str(exc)
    services.record_interview(worker, a, interview_on=date(2026, 1, 10), admissible=True,
                              notes=None, now=at(2026, 1, 10))
    exc = error_of(lambda: services.record_decision(worker, a, commission_on=date(2026, 1, 9),
                                                    members="X", decision="admis", reason=None,
                                                    now=at(2026, 1, 20)))
    assert "précéder l'entretien" in str(exc)
    exc = error_of(lambda: services.record_decision(worker, a, commission_on=date(2026, 1, 15),
                                                    members="X", decision="refuse", reason="",
                                                    now=at(2026, 1, 20)))
    assert exc.field == "reason"
    services.record_decision(worker, a, commission_on=date(2026, 1, 15), members="X",
                             decision="attente", reason="Pas de T3 libre", now=at(2026, 1, 20))
    assert "admise en commission" in str(error_of(lambda: services.enter(
        worker, a, flat=flat, place=None, kind="sous_location", start_on=date(2026, 2, 1),
        rent=D("1"), charges=D("0"), now=at(2026, 2, 1))))
    assert "déjà statué" in str(error_of(lambda: services.record_interview(
        worker, a, interview_on=date(2026, 1, 10), admissible=False, notes=None,
        now=at(2026, 1, 20))))


def test_partner_required_for_a_partner_candidature(worker, team_a):
    exc = error_of(lambda: new_application(worker, team_a, source="partenaire"))
    assert exc.field == "partner"
    exc = error_of(lambda: new_application(worker, team_a, received_on=date(2026, 1, 6)))
    assert "futur" in str(exc)


def test_waiting_list_is_ordered_by_listing_date(worker, team_a):
    def listed(name, received, commission, decision="attente"):
        a = new_application(worker, team_a, name=name, received_on=received)
        services.record_interview(worker, a, interview_on=received, admissible=True,
                                  notes=None, now=at(2026, 1, 5))
        services.record_decision(worker, a, commission_on=commission, members="X",
                                 decision=decision, reason="motif", now=at(2026, 1, 5))
        return a

    late = listed("Reçue tôt, inscrite tard", date(2025, 11, 1), date(2026, 1, 3))
    early = listed("Reçue tard, inscrite tôt", date(2025, 12, 1), date(2025, 12, 10), "admis")
    listed("Refusée", date(2025, 10, 1), date(2025, 10, 15), "refuse")
    new_application(worker, team_a, name="Pas encore vue")
    waiting = queries.waiting_list(queries.applications(worker))
    assert [a.name for a in waiting] == [early.name, late.name]


# -- Timeline and scoping --------------------------------------------------------------------


def test_housing_events_on_the_household_timeline(app, worker, team_a, team_b, flat):
    a = new_application(worker, team_a)
    services.record_interview(worker, a, interview_on=date(2026, 1, 6), admissible=True,
                              notes=None, now=at(2026, 1, 6))
    services.record_decision(worker, a, commission_on=date(2026, 1, 7), members="Équipe",
                             decision="admis", reason=None, now=at(2026, 1, 7))
    c = services.enter(worker, a, flat=flat, place=None, kind="sous_location",
                       start_on=date(2026, 2, 1), rent=D("450"), charges=D("50"), apl=D("0"),
                       referent_id=worker.id, now=at(2026, 2, 1))
    renew(worker, c, date(2026, 7, 1))
    services.record_payment(worker, c, paid_on=date(2026, 2, 3), amount=D("500"),
                            method="virement", now=at(2026, 2, 3))
    services.record_arrears_step(worker, c, kind="relance_amiable", done_on=date(2026, 8, 3),
                                 done_by_id=worker.id, now=at(2026, 8, 3))
    services.end_contract(worker, c, ended_on=date(2026, 9, 30), reason="relogement",
                          destination="logement_social", now=at(2026, 10, 1))
    with app.test_request_context():
        kinds = {"contract", "payment", "arrears", "admission"}
        events = events_for(c.household, worker, kinds)
        assert [(e.when, e.title) for e in events] == [
            (date(2026, 9, 30), "Sortie du logement"),
            (date(2026, 8, 3), "Impayés : Relance amiable"),
            (date(2026, 7, 1), "Contrat renouvelé (1er renouvellement)"),
            (date(2026, 2, 3), f"Paiement de {money(D('500'))}"),
            (date(2026, 2, 1), "Contrat de sous-location signé"),
            (date(2026, 1, 7), "Commission d'admission : Admis"),
            (date(2026, 1, 6), "Entretien d'admissibilité"),
            (date(2026, 1, 5), "Candidature reçue")]
        assert {e.kind for e in events} == kinds
        assert all(e.url for e in events)
        assert events[0].detail == "Relogement — destination : Logement social"
        assert KINDS["payment"] == "Loyer"
        outsider = factories.user((team_b, "coordinator"))
        assert events_for(c.household, outsider, kinds) == []


def test_flat_list_is_scoped_by_team(worker, team_a, team_b):
    mine = factories.flat(team_a, address="1 rue Visible")
    factories.flat(team_b, address="2 rue Cachée")
    rows = queries.flats(worker, date(2026, 1, 1))
    assert [r.flat for r in rows] == [mine]
    volunteer = factories.user((team_a, "volunteer"))
    assert queries.flats(volunteer, date(2026, 1, 1)) == []


def test_vacancy_per_flat_and_month(worker, team_a, flat, family):
    flat.managed_since = date(2026, 1, 10)
    db.session.commit()
    c = sign(worker, flat, family, start=date(2026, 2, 1), now=at(2026, 2, 1))
    services.end_contract(worker, c, ended_on=date(2026, 3, 20), reason="relogement",
                          destination="logement_social", now=at(2026, 3, 21))
    row = next(r for r in queries.vacancy(worker, 2026, date(2026, 4, 5)) if r.flat == flat)
    assert row.months[:4] == [22, 0, 11, 5] and row.total == 38
    assert [(g.start, g.days, g.ongoing) for g in row.gaps] == [
        (date(2026, 1, 10), 22, False), (date(2026, 3, 21), 16, True)]

