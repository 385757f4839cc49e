"""Housing: flats and collective places, contracts, renewals, rent, payments, arrears, admissions.

Rules that only need dates and amounts live in app/housing/rules.py (pure functions); the
properties here apply them to one row. Nothing that can be computed (a contract's end date,
its deadlines, a balance, vacancy) is stored.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.housing import rules
from app.timeutil import utcnow

FLAT_KINDS = ("studio", "T1", "T2", "T3", "T4", "T5")
#: A collective living place (lieu de vie collectif): let place by place, not as a whole.
COLLECTIVE = "collectif"
KIND_LABELS = {"studio": "Studio", "T1": "T1", "T2": "T2", "T3": "T3", "T4": "T4", "T5": "T5",
               COLLECTIVE: "Lieu de vie collectif"}
FLAT_STATUSES = {"occupe": "Occupé", "vacant": "Vacant", "travaux": "Travaux", "rendu": "Rendu"}

Money = Numeric(10, 2)


class Flat(db.Model):
    """A flat the association rents and sub-lets, or a collective place."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: managing team
    address: Mapped[str] = mapped_column(String(200))  #: street and number
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  #: one of FLAT_KINDS, or COLLECTIVE
    surface_m2: Mapped[float | None]
    floor: Mapped[int | None]
    #: key of FLAT_STATUSES; "occupe"/"vacant" follow the contracts, "travaux"/"rendu" are set
    #: by hand ("rendu": handed back to the landlord, or the lease slid to the household).
    status: Mapped[str] = mapped_column(String(10), default="vacant")
    name: Mapped[str | None] = mapped_column(String(120))  #: a collective place's name
    landlord_name: Mapped[str | None] = mapped_column(String(160))  #: bailleur (owner or agency)
    landlord_contact: Mapped[str | None] = mapped_column(String(200))  #: phone, e-mail
    #: Monthly rent and charges the association pays the landlord.
    landlord_rent: Mapped[Decimal | None] = mapped_column(Money)
    landlord_charges: Mapped[Decimal | None] = mapped_column(Money)
    water_meter: Mapped[str | None] = mapped_column(String(40))  #: meter numbers
    electricity_meter: Mapped[str | None] = mapped_column(String(40))  #: PDL number
    gas_meter: Mapped[str | None] = mapped_column(String(40))  #: PCE number
    equipment: Mapped[str | None] = mapped_column(Text)  #: furniture, appliances
    #: Day the association took the flat on; vacancy is counted from then (or from the first
    #: entry when unknown) until it is handed back (`returned_on`) or today.
    managed_since: Mapped[date | None]
    returned_on: Mapped[date | None]
    #: Collective places: who is welcomed, whether animals are, and the house rules.
    audience: Mapped[str | None] = mapped_column(String(160))
    # Server defaults: the columns were added to a table that already had rows.
    animals_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    rules: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow,
                                                 server_default=func.current_timestamp())

    team = relationship("Team", lazy="joined")
    places: Mapped[list[Place]] = relationship(back_populates="flat", order_by="Place.id",
                                               cascade="all, delete-orphan")
    contracts: Mapped[list[Contract]] = relationship(back_populates="flat",
                                                     order_by="Contract.start_on")

    @property
    def is_collective(self) -> bool:
        """Whether the flat is let place by place."""
        return self.kind == COLLECTIVE

    @property
    def label(self) -> str:
        """How the flat is named on screen: its name, else its address."""
        if self.name:
            return f"{self.name} — {self.address}"
        return f"{self.address}, {self.city}"

    @property
    def kind_label(self) -> str:
        """The type in French."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return FLAT_STATUSES.get(self.status, self.status)

    def current_contracts(self) -> list[Contract]:
        """Contracts not ended yet (the household is still in the flat or place)."""
        return [c for c in self.contracts if c.ended_on is None]


class Place(db.Model):
    """One place (a room, a bed) in a collective living place."""

    __table_args__ = (UniqueConstraint("flat_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("flat.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))  #: "Chambre 2"
    notes: Mapped[str | None] = mapped_column(String(200))  #: "rez-de-chaussée, accessible"

    flat: Mapped[Flat] = relationship(back_populates="places")
    contracts: Mapped[list[Contract]] = relationship(back_populates="place",
                                                     order_by="Contract.start_on")


CONTRACT_KINDS = {
    "sous_location": "Contrat de sous-location",
    "bail_glissant": "Sous-location en bail glissant",
    "occupation": "Convention d'occupation",
}
#: kind -> (months in one period, renewals allowed; None = no limit). A bail glissant is a
#: sous-location with a glide clause: same six-month periods, renewable twice.
CONTRACT_TERMS = {"sous_location": (6, 2), "bail_glissant": (6, 2), "occupation": (None, None)}

EXIT_REASONS = {
    "fin_contrat": "Fin de contrat",
    "relogement": "Relogement",
    "mutation": "Mutation vers un autre logement du dispositif",
    "glissement": "Glissement du bail",
    "depart_volontaire": "Départ volontaire",
    "resiliation": "Résiliation ou expulsion",
    "deces": "Décès",
    "autre": "Autre",
}
EXIT_DESTINATIONS = {
    "logement_social": "Logement social",
    "logement_prive": "Logement privé",
    "bail_glisse": "Bail glissé (le ménage devient locataire en titre)",
    "dispositif": "Autre logement du dispositif",
    "hebergement": "Hébergement (CHRS, hôtel, urgence)",
    "famille_tiers": "Famille ou tiers",
    "rue": "Rue",
    "inconnue": "Inconnue",
    "autre": "Autre",
}


class Contract(db.Model):
    """A household's occupancy of a flat or of a place: sous-location, bail glissant, convention."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Managing team, copied from the flat so every read can be scoped on this column.
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("flat.id"), index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  #: key of CONTRACT_KINDS
    start_on: Mapped[date]  #: entry day, the first day the household owes rent
    #: Months in one period (6 for a sous-location); None: a convention with no term.
    term_months: Mapped[int | None]
    glide_planned_on: Mapped[date | None]  #: bail glissant: planned glide date
    glided_on: Mapped[date | None]  #: bail glissant: day the lease actually slid
    #: Planned exit as declared to the SIAO, and the day it was declared.
    exit_planned_on: Mapped[date | None]
    siao_declared_on: Mapped[date | None]
    ended_on: Mapped[date | None]  #: exit day (last day of occupancy); None while occupied
    exit_reason: Mapped[str | None] = mapped_column(String(30))  #: key of EXIT_REASONS
    exit_destination: Mapped[str | None] = mapped_column(String(30))  #: key of EXIT_DESTINATIONS
    exit_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                               ondelete="SET NULL"))

    team = relationship("Team")
    flat: Mapped[Flat] = relationship(back_populates="contracts")
    place: Mapped[Place | None] = relationship(back_populates="contracts")
    household = relationship("Household", lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    ended_by = relationship("User", foreign_keys=[ended_by_id])
    renewals: Mapped[list[Renewal]] = relationship(
        back_populates="contract", order_by="Renewal.number", cascade="all, delete-orphan")
    rent_terms: Mapped[list[RentTerms]] = relationship(
        back_populates="contract", order_by="RentTerms.effective_on",
        cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="contract", order_by="(Payment.paid_on, Payment.id)",
        cascade="all, delete-orphan")
    arrears_steps: Mapped[list[ArrearsStep]] = relationship(
        back_populates="contract", order_by="(ArrearsStep.done_on, ArrearsStep.id)",
        cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        """The kind in French."""
        return CONTRACT_KINDS.get(self.kind, self.kind)

    @property
    def max_renewals(self) -> int | None:
        """How many renewals the kind allows (None: no limit)."""
        return CONTRACT_TERMS.get(self.kind, (None, None))[1]

    @property
    def renewals_used(self) -> int:
        """Renewals decided so far."""
        return len(self.renewals)

    @property
    def renewals_left(self) -> int | None:
        """Renewals still possible (None: no limit)."""
        if self.max_renewals is None:
            return None
        return max(self.max_renewals - self.renewals_used, 0)

    @property
    def end_on(self) -> date | None:
        """Last day of the current period (start + term × (renewals + 1)); None without term."""
        if not self.term_months:
            return None
        return rules.period_end(self.start_on, self.term_months * (self.renewals_used + 1))

    @property
    def max_end_on(self) -> date | None:
        """Last possible day once every allowed renewal is used (18 months for a sous-location)."""
        if not self.term_months or self.max_renewals is None:
            return None
        return rules.period_end(self.start_on, self.term_months * (self.max_renewals + 1))

    @property
    def is_active(self) -> bool:
        """Not ended: the household still occupies the flat or place."""
        return self.ended_on is None

    @property
    def unit_label(self) -> str:
        """The flat, and the place for a collective one."""
        if self.place is not None:
            return f"{self.place.label}, {self.flat.label}"
        return self.flat.label

    def terms_on(self, day: date) -> RentTerms | None:
        """The rent terms in force on `day` (the first ones before the contract starts)."""
        current = None
        for t in self.rent_terms:
            if t.effective_on <= day or current is None:
                current = t
        return current

    @property
    def exit_reason_label(self) -> str:
        """The exit reason in French."""
        return EXIT_REASONS.get(self.exit_reason or "", "")

    @property
    def exit_destination_label(self) -> str:
        """The destination after exit in French."""
        return EXIT_DESTINATIONS.get(self.exit_destination or "", "")

    @property
    def siao_days_ahead(self) -> int | None:
        """Days between the SIAO declaration and the exit (actual, else planned); < 0 if late."""
        exit_day = self.ended_on or self.exit_planned_on
        if self.siao_declared_on is None or exit_day is None:
            return None
        return (exit_day - self.siao_declared_on).days


class Renewal(db.Model):
    """One renewal of a contract: when it was decided, by whom, why."""

    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             index=True)
    number: Mapped[int]  #: 1 for the first renewal; unique per contract (no double submit)
    decided_on: Mapped[date]
    decided_by: Mapped[str] = mapped_column(String(160))  #: person or body who decided
    reason: Mapped[str] = mapped_column(Text)
    new_end_on: Mapped[date]  #: end of the renewed period, as it was when decided
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="renewals")
    recorded_by = relationship("User")


class RentTerms(db.Model):
    """What the household owes each month from a date: rent, charges, minus APL paid to us."""

    __table_args__ = (UniqueConstraint("contract_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             index=True)
    effective_on: Mapped[date]  #: the contract's start, or the 1st of a month (revision)
    rent: Mapped[Decimal] = mapped_column(Money)  #: loyer mensuel
    charges: Mapped[Decimal] = mapped_column(Money)  #: charges mensuelles
    apl: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  #: APL paid to the association
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="rent_terms")

    @property
    def monthly_due(self) -> Decimal:
        """The household's share for a full month (résiduel): rent + charges − APL."""
        return max(self.rent + self.charges - self.apl, Decimal("0.00"))


PAYMENT_METHODS = {
    "virement": "Virement",
    "prelevement": "Prélèvement",
    "cheque": "Chèque",
    "especes": "Espèces",
    "mandat": "Mandat cash",
    "fsl": "Aide FSL",
    "autre": "Autre",
}


class Payment(db.Model):
    """Money received from (or for) the household. Cancelled, never deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             index=True)
    paid_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money)  #: > 0
    method: Mapped[str] = mapped_column(String(20))  #: key of PAYMENT_METHODS
    reference: Mapped[str | None] = mapped_column(String(120))  #: cheque number, note
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]  #: a mistaken entry is cancelled, with a reason
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                   ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    contract: Mapped[Contract] = relationship(back_populates="payments")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def method_label(self) -> str:
        """The method in French."""
        return PAYMENT_METHODS.get(self.method, self.method)


ARREARS_STEPS = {
    "relance_amiable": "Relance amiable",
    "plan_apurement": "Plan d'apurement",
    "fsl_maintien": "Demande FSL maintien",
    "signalement_ccapex": "Signalement CCAPEX",
}


class ArrearsStep(db.Model):
    """One dated step of the unpaid-rent procedure, and who did it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(30))  #: key of ARREARS_STEPS
    done_on: Mapped[date]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                              ondelete="SET NULL"))
    #: Plan d'apurement: the monthly repayment agreed on top of the rent.
    monthly_amount: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="arrears_steps")
    done_by = relationship("User", foreign_keys=[done_by_id])

    @property
    def kind_label(self) -> str:
        """The step in French."""
        return ARREARS_STEPS.get(self.kind, self.kind)


APPLICATION_SOURCES = {"siao": "SIAO", "partenaire": "Partenaire"}
DECISIONS = {"admis": "Admis", "refuse": "Refusé", "attente": "Liste d'attente"}
WANTED_UNITS = {"studio": "Studio", "T1": "T1", "T2": "T2", "T3": "T3", "T4": "T4", "T5": "T5",
                "place": "Place en lieu de vie collectif"}
APPLICATION_STATUSES = {
    "recue": "Reçue",
    "entretien": "Entretien fait",
    "admis": "Admis, en attente d'entrée",
    "attente": "Liste d'attente",
    "refuse": "Refusée",
    "retiree": "Retirée",
    "entree": "Entrée",
}


class Application(db.Model):
    """A candidature for a flat or a place, from the SIAO or a partner, up to the entry."""

    __tablename__ = "housing_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: receiving team
    name: Mapped[str] = mapped_column(String(120))  #: household name or alias
    received_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(20))  #: key of APPLICATION_SOURCES
    partner: Mapped[str | None] = mapped_column(String(160))  #: who oriented the household
    siao_ref: Mapped[str | None] = mapped_column(String(40))
    adults: Mapped[int] = mapped_column(default=1)
    children: Mapped[int] = mapped_column(default=0)
    resources_amount: Mapped[Decimal | None] = mapped_column(Money)  #: monthly resources
    resources_detail: Mapped[str | None] = mapped_column(String(200))  #: "RSA, APL…"
    situation: Mapped[str | None] = mapped_column(String(200))  #: where they live now
    wanted: Mapped[str | None] = mapped_column(String(10))  #: key of WANTED_UNITS
    animals: Mapped[bool] = mapped_column(default=False)  #: comes with an animal
    notes: Mapped[str | None] = mapped_column(Text)
    #: The household, once it exists (chosen at creation, or created at entry).
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    interview_on: Mapped[date | None]  #: entretien d'admissibilité
    interview_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                   ondelete="SET NULL"))
    interview_notes: Mapped[str | None] = mapped_column(Text)
    admissible: Mapped[bool | None]
    withdrawn_on: Mapped[date | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))
    entered_on: Mapped[date | None]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    team = relationship("Team", lazy="joined")
    household = relationship("Household")
    interview_by = relationship("User", foreign_keys=[interview_by_id])
    contract = relationship("Contract")
    decisions: Mapped[list[AdmissionDecision]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="(AdmissionDecision.commission_on, AdmissionDecision.id)")

    @property
    def last_decision(self) -> AdmissionDecision | None:
        """The commission's latest decision."""
        return self.decisions[-1] if self.decisions else None

    @property
    def status(self) -> str:
        """Where the candidature stands: a key of APPLICATION_STATUSES."""
        if self.entered_on:
            return "entree"
        if self.withdrawn_on:
            return "retiree"
        if self.last_decision:
            return self.last_decision.decision
        if self.interview_on:
            return "entretien"
        return "recue"

    @property
    def status_label(self) -> str:
        """The status in French."""
        return APPLICATION_STATUSES[self.status]

    @property
    def listed_on(self) -> date | None:
        """Day the commission first put it on the waiting list (admitted or waiting)."""
        for d in self.decisions:
            if d.decision in ("admis", "attente"):
                return d.commission_on
        return None

    @property
    def composition(self) -> str:
        """'2 adultes, 1 enfant'."""
        parts = [f"{self.adults} adulte{'s' if self.adults > 1 else ''}"]
        if self.children:
            parts.append(f"{self.children} enfant{'s' if self.children > 1 else ''}")
        return ", ".join(parts)


class AdmissionDecision(db.Model):
    """A commission's decision on a candidature: date, members, decision and reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("housing_application.id", ondelete="CASCADE"), index=True)
    commission_on: Mapped[date]
    members: Mapped[str] = mapped_column(String(300))  #: who sat on the commission
    decision: Mapped[str] = mapped_column(String(10))  #: key of DECISIONS
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="decisions")

    @property
    def decision_label(self) -> str:
        """The decision in French."""
        return DECISIONS.get(self.decision, self.decision)
