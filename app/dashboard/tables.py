"""The dashboard's and the indicators' tables: one structure drawn on screen, in the PDF and in
the CSV and XLSX exports, so what is exported is what was shown.

Each builder turns query results (app/dashboard/queries.py) into a `Table` of `Cell`s; a cell
may carry the URL of the list behind its figure.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import url_for
from flask_login import current_user

from app.alerts.models import URGENCIES
from app.dashboard import charts, queries as q
from app.formatting import money, number
from app.households.vocab import DESTINATIONS, RIGHT_KINDS
from app.housing.models import APPLICATION_STATUSES, ARREARS_STEPS, EXIT_DESTINATIONS, FLAT_STATUSES
from app.measures.models import FUNDERS
from app.measures.rules import PHASES
from app.permanences.vocab import PARTNER_KINDS
from app.visits.models import PLACES


@dataclass
class Cell:
    """A value, how to show it, and the list behind it."""

    value: object
    href: str | None = None
    kind: str = "text"  #: text, num, pct, money, days

    @property
    def text(self) -> str:
        """The value as shown on screen (French)."""
        v = self.value
        if v is None:
            return "—"
        if self.kind == "money":
            return money(v)
        if self.kind == "pct":
            return f"{number(v)} %"
        if self.kind in ("num", "days"):
            return number(v)
        if isinstance(v, date):
            return q.fr_day(v)
        return str(v)

    @property
    def numeric(self) -> bool:
        """Right-aligned in a table."""
        return self.kind != "text"

    @property
    def export(self):
        """The value written to a spreadsheet cell (numbers stay numbers)."""
        v = self.value
        if v is None:
            return ""
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, date):
            return v
        return v


@dataclass
class Table:
    """A titled table; the last row is a total when `total` is set."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    total: bool = False
    note: str = ""
    chart: charts.Chart | None = None
    empty: str = "Aucune donnée sur la période."
    href: str | None = None  #: the list behind the whole table (its count links there)
    #: Not computed with the page: `href` is where the card comes from once the page is shown.
    deferred: bool = False

    @property
    def body(self) -> list[list[Cell]]:
        """Rows without the total."""
        return self.rows[:-1] if self.total else self.rows

    @property
    def total_row(self) -> list[Cell] | None:
        """The total row, if any."""
        return self.rows[-1] if self.total and self.rows else None


def _n(value, href=None) -> Cell:
    return Cell(value or 0, href if value else None, "num")


# -- Exports ----------------------------------------------------------------------------------


def _csv_value(cell: Cell) -> str:
    """A cell for a French spreadsheet: no thousands separator, a decimal comma, dates
    dd/mm/yyyy; otherwise what the screen shows."""
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if cell.kind == "money":
        return f"{Decimal(v):.2f}".replace(".", ",")
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return number(v).replace("\u202f", "").replace("\xa0", "")
    return str(v)


def to_csv(table: Table) -> bytes:
    """The table as CSV for a French spreadsheet: UTF-8 with BOM, ';' between cells, decimal
    comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_value(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table], heading: str) -> bytes:
    """The tables as an XLSX workbook, one sheet each, a heading line saying what and when."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used = set()
    for table in tables:
        name = _sheet_name(table.title, used)
        ws = wb.create_sheet(name)
        ws.append([table.title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([heading])
        ws.append(table.columns)
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([c.export for c in row])
            for c, xl in zip(row, ws[ws.max_row]):
                if c.kind == "money":
                    xl.number_format = '#,##0.00 "€"'
                elif isinstance(c.value, date):
                    xl.number_format = "DD/MM/YYYY"
        if table.total and table.rows:
            for xl in ws[ws.max_row]:
                xl.font = Font(bold=True)
        if table.note:
            ws.append([])
            ws.append([table.note])
        for i, title in enumerate(table.columns, start=1):
            width = max([len(title)] + [len(c.text) for r in table.rows for c in r[i - 1:i]])
            ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = min(width + 2, 60)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]  # Excel's limit
    name, n = base, 2
    while name in used:
        name = f"{base[:26]} {n}"
        n += 1
    used.add(name)
    return name


# -- Dashboard (today) -----------------------------------------------------------------------


def _args(scope: q.Scope, **extra) -> dict:
    out = {}
    if scope.team is not None:
        out["equipe"] = scope.team.id
    elif scope.programme:
        out["dispositif"] = scope.programme
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


def _teams(scope: q.Scope) -> dict:
    """The teams counted, named one by one for the housing lists (their `equipe` filter is
    repeatable and narrows what the person may see there to exactly these teams)."""
    return {"equipe": sorted(scope.ids)}


#: Candidatures still waiting for a study, a decision or an entry.
OPEN_APPLICATIONS = ["recue", "entretien", "attente", "admis"]


def _period_args(period: q.Period) -> dict:
    return {"debut": period.start.isoformat(), "fin": period.end.isoformat()}


def team_table(scope: q.Scope, today: date) -> Table:
    """Headline figures per team and the total across the person's teams."""
    t = Table("equipes", "Par équipe", ["Équipe", "Ménages suivis", "Alertes ouvertes",
                                        "dont urgentes", "Visites de la semaine",
                                        "Comptes rendus manquants", "Logements vacants",
                                        "Candidatures en cours"], total=True,
              note="Un ménage suivi par deux équipes compte une fois dans le total.")
    week = q.week_of(today)
    for r in q.by_team(scope.selected, today):
        # The total row keeps the programme chosen, if any: its lists count the same teams.
        args = {"equipe": r.team.id} if r.team else _args(scope)
        teams = {"equipe": [r.team.id]} if r.team else _teams(scope)
        name = Cell(r.team.name, url_for("dashboard.index", equipe=r.team.id)) if r.team \
            else Cell("Total")
        t.rows.append([
            name,
            _n(r.followed, url_for("dashboard.listing", kind="suivis", debut=today.isoformat(),
                                   fin=today.isoformat(), **args)),
            _n(r.open_alerts, url_for("alerts.index", vue="equipe", **args)),
            _n(r.urgent_alerts, url_for("alerts.index", vue="equipe", urgence="urgent",
                                        **args)),
            _n(r.visits_week, url_for("dashboard.listing", kind="visites", **_period_args(week),
                                      **args)),
            _n(r.missing_reports, url_for("dashboard.listing", kind="visites",
                                          etat="sans_compte_rendu", **_period_args(week),
                                          **args)),
            _n(r.vacant_flats, url_for("housing.index", statut="vacant", **teams)),
            _n(r.pending_admissions, url_for("housing.applications", statut=OPEN_APPLICATIONS,
                                             **teams)),
        ])
    return t


def alerts_table(scope: q.Scope, today: date) -> Table:
    """Open alerts per urgency."""
    counts = q.alerts_by_urgency(scope.ids, today)
    t = Table("alertes", "Alertes ouvertes par urgence", ["Urgence", "Alertes"], total=True)
    href = url_for("alerts.index", vue="equipe", **_args(scope))
    for code, (_, label) in URGENCIES.items():
        t.rows.append([Cell(label), _n(counts[code], url_for("alerts.index", vue="equipe",
                                                           urgence=code, **_args(scope)))])
    t.rows.append([Cell("Total"), _n(sum(counts.values()), href)])
    return t


def caseload_table(scope: q.Scope, today: date) -> Table:
    """Each worker's households, running measures and visits of the month."""
    month = q.month_of(today)
    t = Table("charge", "Charge par intervenant·e",
              ["Intervenant·e", "Ménages (référent·e)", "Mesures ASLL en cours",
               f"Visites de {q.month_label(today)}", "dont faites"],
              note="Ménages des équipes dont la personne est référente ; visites prévues ou "
                   "faites ce mois-ci, hors annulées.")
    for r in q.caseload(scope.ids, today):
        def visits(**state):
            if r.user_id is None:
                return None
            return url_for("dashboard.listing", kind="visites", intervenant=r.user_id,
                           **state, **_period_args(month), **_args(scope))

        who = {"intervenant": r.user_id if r.user_id is not None else "aucun"}
        t.rows.append([Cell(r.name),
                       _n(r.households, url_for("dashboard.listing", kind="menages", **who,
                                                **_args(scope))),
                       _n(r.measures, url_for("dashboard.listing", kind="mesures", **who,
                                              **_args(scope))),
                       _n(r.visits, visits()), _n(r.visits_done, visits(etat="faite"))])
    t.empty = "Personne dans ces équipes."
    return t


def flats_table(scope: q.Scope, today: date) -> Table:
    """Flats per status, and vacancy days since 1 January."""
    counts = q.flats_by_status(scope.ids)
    year = q.Period(date(today.year, 1, 1), today)
    vac = q.vacancy_total(scope.ids, year, today)
    t = Table("logements", "Logements", ["Logements", "Nombre"],
              note="Jours de vacance : jours où un logement (ou une place d'un lieu collectif) "
                   "géré était vide, du 1er janvier à aujourd'hui.")
    teams = _teams(scope)
    for code, label in FLAT_STATUSES.items():
        t.rows.append([Cell(label), _n(counts.get(code, 0),
                                       url_for("housing.index", statut=code, **teams))])
    vacancy = url_for("housing.vacancy", annee=today.year, **teams)
    t.rows.append([Cell(f"Jours de vacance en {today.year}"), _n(vac.vacant, vacancy)])
    t.rows.append([Cell(f"Taux de vacance en {today.year}"),
                   Cell(vac.rate, vacancy if vac.rate is not None else None, "pct")])
    return t


def arrears_today_table(scope: q.Scope, today: date, deferred: bool = False) -> Table:
    """Running contracts in arrears today and the amount they owe.

    `deferred`: only the card's place and address. The ledger of every running contract is
    the dearest figure there is (about as long as the rest of the dashboard together), so the
    page shows without it and the card follows (`dashboard.owed`)."""
    if deferred:
        return Table("impayes", "Impayés en cours", ["Indicateur", "Valeur"], deferred=True,
                     href=url_for("dashboard.owed", **_args(scope)))
    owed = q.arrears_today(scope.ids, today)
    href = url_for("dashboard.listing", kind="impayes", **_args(scope)) if owed.contracts \
        else None
    t = Table("impayes", "Impayés en cours", ["Indicateur", "Valeur"],
              note=f"Contrats en cours dont le solde dû dépasse un mois de loyer (loyer et "
                   f"charges, APL déduite) au {q.fr_day(today)}.")
    t.rows = [[Cell("Contrats en impayé"), _n(owed.contracts, href)],
              [Cell("Montant dû"), Cell(owed.owed, href, "money")]]
    return t


def endings_table(scope: q.Scope, today: date) -> Table:
    """Contracts ending in the next 60 days, soonest first."""
    endings = q.leases_ending(scope.ids, today, 60)
    contracts = {c.id: c for c in q.list_contracts({e.contract_id for e in endings})}
    t = Table("fins_contrat", "Contrats finissant dans les 60 jours",
              ["Ménage", "Logement", "Fin de la période", "Renouvellements restants"],
              empty="Aucun contrat ne finit dans les 60 jours.",
              href=url_for("dashboard.listing", kind="fins-de-contrat", **_args(scope)))
    for e in endings:
        c = contracts[e.contract_id]
        left = c.renewals_left
        t.rows.append([Cell(c.household.name, url_for("housing.contract", contract_id=c.id)),
                       Cell(c.unit_label), Cell(e.end_on),
                       Cell(left if left is not None else "sans limite",
                            kind="num" if left is not None else "text")])
    return t


def measures_table(scope: q.Scope, today: date) -> Table:
    """ASLL measures per phase today."""
    counts = q.measures_by_phase(scope.ids, today)
    t = Table("mesures_phase", "Mesures ASLL par phase", ["Phase", "Mesures"], total=True)
    for code, n in counts.items():
        t.rows.append([Cell(PHASES[code]), _n(n, url_for("dashboard.listing", kind="mesures",
                                                         phase=code, **_args(scope)))])
    t.rows.append([Cell("Total en cours"), _n(sum(counts.values()), url_for(
        "dashboard.listing", kind="mesures", **_args(scope)))])
    return t


def week_visits_table(scope: q.Scope, today: date) -> Table:
    """Visits of the week by state."""
    week = q.week_of(today)
    counts = q.visits_by_state(scope.ids, week, today)
    t = Table("visites_semaine", f"Visites de la semaine (du {q.fr_day(week.start)} au "
                                 f"{q.fr_day(week.end)})", ["État", "Visites"], total=True)
    for code, label in q.VISIT_STATES.items():
        t.rows.append([Cell(label), _n(counts[code], url_for(
            "dashboard.listing", kind="visites", etat=code, **_period_args(week),
            **_args(scope)))])
    t.rows.append([Cell("Total"), _n(sum(counts.values()), url_for(
        "dashboard.listing", kind="visites", **_period_args(week), **_args(scope)))])
    return t


def sessions_table(scope: q.Scope, today: date) -> Table:
    """The next permanence sessions and their staffing."""
    t = Table("permanences", "Prochaines permanences",
              ["Séance", "Lieu", "Personnes attendues", "Inscrites", "Manquent"],
              empty="Aucune permanence prévue dans les trois semaines.")
    for s, st in q.next_sessions(scope.ids, today):
        label = f"{q.fr_day(s.day)}, {s.starts_at:%H:%M}–{s.ends_at:%H:%M}"
        missing = st.missing
        t.rows.append([Cell(label, url_for("permanences.session", session_id=s.id)),
                       Cell(s.place), _n(st.needed), _n(st.signed_up),
                       Cell(missing, url_for("permanences.gaps") if missing else None, "num")])
    return t


def admissions_table(scope: q.Scope) -> Table:
    """Candidatures waiting for a study, a decision or an entry."""
    counts = q.admissions_pending(scope.ids)
    t = Table("admissions", "Admissions en attente", ["Étape", "Candidatures"], total=True)
    teams = _teams(scope)
    for code, n in counts.items():
        t.rows.append([Cell(APPLICATION_STATUSES[code]),
                       _n(n, url_for("housing.applications", statut=code, **teams))])
    t.rows.append([Cell("Total"), _n(sum(counts.values()), url_for(
        "housing.applications", statut=OPEN_APPLICATIONS, **teams))])
    return t


def dashboard_tables(scope: q.Scope, today: date, defer_owed: bool = False) -> list[Table]:
    """Every table of the dashboard, in the order shown (the arrears card only as a place
    to fill when `defer_owed`)."""
    out = []
    if scope.team is None and len(scope.selected) > 1:
        out.append(team_table(scope, today))
    out += [alerts_table(scope, today), week_visits_table(scope, today),
            caseload_table(scope, today), flats_table(scope, today),
            arrears_today_table(scope, today, defer_owed), endings_table(scope, today),
            measures_table(scope, today),
            admissions_table(scope), sessions_table(scope, today)]
    return out


# -- Indicators (a period) -------------------------------------------------------------------


def followed_table(scope: q.Scope, period: q.Period) -> Table:
    """Households and people followed, entries, exits, average length."""
    t = Table("suivis", "Ménages et personnes accompagnés",
              ["Dispositif", "Ménages", "Personnes", "Entrées", "Sorties",
               "Durée moyenne (jours)"], total=True,
              note="Ménages dont l'accompagnement était en cours à un moment de la période. "
                   "Un ménage accompagné dans deux dispositifs compte dans chacun, et une fois "
                   "dans le total. Durée moyenne : accompagnements terminés dans la période, "
                   "jours d'entrée et de sortie compris.")
    for r in q.followed(scope.ids, period):
        args = {**_period_args(period), **_args(scope)}
        if r.programme:
            args["programme"] = r.programme
        t.rows.append([Cell(r.label),
                       _n(r.households, url_for("dashboard.listing", kind="suivis", **args)),
                       _n(r.people), _n(r.entries, url_for("dashboard.listing", kind="entrees",
                                                           **args)),
                       _n(r.exits, url_for("dashboard.listing", kind="sorties", **args)),
                       Cell(r.avg_days, kind="days")])
    if len(t.rows) == 1 and not t.rows[0][1].value:
        t.rows = []
    return t


def destinations_table(scope: q.Scope, period: q.Period) -> Table:
    """Exits from support per destination, with a bar chart."""
    counts = q.exits_by_destination(scope.ids, period)
    total = sum(counts.values())
    t = Table("destinations", "Sorties d'accompagnement par destination",
              ["Destination", "Sorties", "Part (%)"], total=True)
    items = []
    for code, label in [*DESTINATIONS.items(), (None, "Non renseignée")]:
        n = counts.get(code, 0)
        if not n:
            continue
        href = url_for("dashboard.listing", kind="sorties", destination=code or "non_renseignee",
                       **_period_args(period), **_args(scope))
        t.rows.append([Cell(label), _n(n, href), Cell(round(100 * n / total, 1), kind="pct")])
        items.append((label, n))
    if total:
        t.rows.append([Cell("Total"), _n(total), Cell(100.0, kind="pct")])
    else:
        t.rows = []
    t.chart = charts.bars("destinations", "Sorties par destination", items)
    return t


def housing_exits_table(scope: q.Scope, period: q.Period) -> Table:
    """Exits from a flat or place per destination."""
    counts = q.housing_exits_by_destination(scope.ids, period)
    t = Table("sorties_logement", "Sorties de logement par destination",
              ["Destination", "Sorties"], total=True)
    for code, label in [*EXIT_DESTINATIONS.items(), (None, "Non renseignée")]:
        if counts.get(code):
            t.rows.append([Cell(label), _n(counts[code])])
    if t.rows:
        t.rows.append([Cell("Total"), _n(sum(counts.values()))])
        declared, ahead = q.siao_declarations(scope.ids, period)
        t.note = (f"Sorties déclarées au SIAO : {number(declared)}"
                  + (f", en moyenne {number(ahead)} jours avant la sortie." if ahead is not None
                     else "."))
    return t


def activity_table(scope: q.Scope, period: q.Period, today: date) -> Table:
    """Activity per month, with a column chart."""
    months = q.activity_by_month(scope.ids, period, today)
    t = Table("activite", "Activité par mois",
              ["Mois", "Visites faites", "Entrées", "Sorties", "Passages en permanence"],
              total=True)
    for m in months:
        last = q.month_of(m.month)
        args = {"debut": max(m.month, period.start).isoformat(),
                "fin": min(last.end, period.end).isoformat(), **_args(scope)}
        t.rows.append([Cell(q.month_label(m.month)),
                       _n(m.visits_done, url_for("dashboard.listing", kind="visites",
                                                 etat="faite", **args)),
                       _n(m.entries, url_for("dashboard.listing", kind="entrees", **args)),
                       _n(m.exits, url_for("dashboard.listing", kind="sorties", **args)),
                       _n(m.arrivals)])
    t.rows.append([Cell("Total"), _n(sum(m.visits_done for m in months)),
                   _n(sum(m.entries for m in months)), _n(sum(m.exits for m in months)),
                   _n(sum(m.arrivals for m in months))])
    cats = [q.month_label(m.month, short=True) for m in months]
    t.chart = charts.columns("activite", "Visites faites, entrées et sorties par mois", cats,
                             [("Visites faites", [m.visits_done for m in months]),
                              ("Entrées", [m.entries for m in months]),
                              ("Sorties", [m.exits for m in months])])
    if not any(m.visits_done or m.entries or m.exits or m.arrivals for m in months):
        t.chart.bars = []
    return t


def visits_table(scope: q.Scope, period: q.Period, today: date) -> Table:
    """Visits per place and state."""
    counts = q.visits_by_place(scope.ids, period, today)
    states = ["faite", "absent", "annulee", "sans_compte_rendu", "prevue"]
    t = Table("visites", "Visites par lieu", ["Lieu", *(q.VISIT_STATES[s] for s in states),
                                             "Total"], total=True)
    totals = [0] * (len(states) + 1)
    for place, label in PLACES.items():
        values = [counts.get((place, s), 0) for s in states]
        if not any(values):
            continue
        row = [Cell(label)]
        for i, (s, n) in enumerate(zip(states, values)):
            row.append(_n(n, url_for("dashboard.listing", kind="visites", lieu=place, etat=s,
                                     **_period_args(period), **_args(scope))))
            totals[i] += n
        row.append(_n(sum(values), url_for("dashboard.listing", kind="visites", lieu=place,
                                           **_period_args(period), **_args(scope))))
        totals[-1] += sum(values)
        t.rows.append(row)
    if t.rows:
        t.rows.append([Cell("Total"), *(_n(n) for n in totals)])
    return t


def rights_table(scope: q.Scope, period: q.Period) -> Table:
    """Rights filed, granted, refused per kind."""
    counts = q.rights(scope.ids, period)
    t = Table("droits", "Droits ouverts", ["Droit", "Demandes déposées", "Accordés", "Refusés"],
              total=True, note="Droits des ménages accompagnés sur la période.")
    sums = [0, 0, 0]
    for kind, label in RIGHT_KINDS.items():
        if kind not in counts:
            continue
        row = [Cell(label)]
        for i, which in enumerate(("deposes", "accordes", "refuses")):
            n = counts[kind][i]
            sums[i] += n
            row.append(_n(n, url_for("dashboard.listing", kind="droits", droit=kind,
                                     quoi=which, **_period_args(period), **_args(scope))))
        t.rows.append(row)
    if t.rows:
        t.rows.append([Cell("Total"), *(_n(n) for n in sums)])
    return t


def orientations_table(scope: q.Scope, period: q.Period) -> Table:
    """Orientations per kind."""
    counts = q.orientations(scope.ids, period)
    t = Table("orientations", "Orientations par type", ["Type", "Orientations"], total=True,
              note="Orientations vers un partenaire en permanence, et orientations notées dans "
                   "les comptes rendus de visite.")
    labels = {**PARTNER_KINDS, "visite": "Orientation notée en visite"}
    items = []
    for code, label in labels.items():
        if counts.get(code):
            href = url_for("dashboard.listing", kind="orientations", type=code,
                           **_period_args(period), **_args(scope)) if code != "visite" else None
            t.rows.append([Cell(label), _n(counts[code], href)])
            items.append((label, counts[code]))
    if t.rows:
        t.rows.append([Cell("Total"), _n(sum(counts.values()))])
    t.chart = charts.bars("orientations", "Orientations par type", items)
    return t


def vacancy_table(scope: q.Scope, period: q.Period, today: date) -> Table:
    """Vacancy per team over the period."""
    per_team = q.vacancy_by_team(scope.ids, period, today, with_months=True)  # + occupancy
    names = {t.id: t.name for t in scope.selected}
    t = Table("vacance", "Vacance des logements",
              ["Équipe", "Jours-logement gérés", "Jours vacants", "Taux de vacance (%)"],
              total=True, note="Un lieu collectif compte chaque place. Jours jusqu'à "
                               "aujourd'hui au plus.")
    total = q.Vacancy()
    for team_id in sorted(per_team, key=lambda i: names.get(i, "")):
        v = per_team[team_id]
        if not v.managed:
            continue
        total.managed += v.managed
        total.vacant += v.vacant
        t.rows.append([Cell(names.get(team_id, "")), _n(v.managed),
                       _n(v.vacant, url_for("housing.vacancy", annee=period.end.year,
                                            equipe=[team_id])),
                       Cell(v.rate, kind="pct")])
    if t.rows:
        t.rows.append([Cell("Total"), _n(total.managed), _n(total.vacant),
                       Cell(total.rate, kind="pct")])
    return t


def occupancy_table(scope: q.Scope, period: q.Period, today: date) -> Table:
    """Occupancy rate per month, with a column chart."""
    months = q.vacancy_by_month(scope.ids, period, today)
    t = Table("occupation", "Occupation par mois",
              ["Mois", "Taux d'occupation (%)", "Jours vacants"])
    rates = []
    for m, v in months:
        if not v.managed:
            continue
        rate = round(100 - v.rate, 1)
        t.rows.append([Cell(q.month_label(m)), Cell(rate, kind="pct"), _n(v.vacant)])
        rates.append((q.month_label(m), rate))
    t.chart = charts.bars("occupation", "Taux d'occupation par mois", rates, suffix=" %")
    return t


def arrears_table(scope: q.Scope, period: q.Period, today: date) -> Table:
    """Rent received and unpaid-rent procedure over the period.

    What is owed today is on the dashboard (`arrears_today_table`): the ledger of every
    running contract is the dearest query there is, and a period's table does not need it."""
    a = q.arrears(scope.ids, period)
    t = Table("impayes", "Loyers et impayés", ["Indicateur", "Valeur"],
              note="Paiements et étapes de la procédure d'impayé de la période. Les impayés "
                   "en cours (contrats et montant dû aujourd'hui) sont sur le tableau de bord.")
    t.rows.append([Cell("Paiements reçus"), Cell(a.received, kind="money")])
    t.rows.append([Cell("Nombre de paiements"), _n(a.payments)])
    t.rows.append([Cell("Contrats avec une étape d'impayé"), _n(a.contracts)])
    for code, label in ARREARS_STEPS.items():
        t.rows.append([Cell(label), _n(a.steps.get(code, 0))])
    return t


def measures_period_table(scope: q.Scope, period: q.Period) -> Table:
    """ASLL measures per funder."""
    t = Table("mesures", "Mesures ASLL", ["Financeur", "En cours sur la période", "Notifiées",
                                          "Contrats signés", "Terminées", "Renouvelées"],
              total=True)
    rows = q.measures(scope.ids, period)
    href = url_for("measures.index")
    for r in rows:
        label = FUNDERS.get(r.funder, r.funder) if r.funder else "Total"
        t.rows.append([Cell(label), _n(r.running, href), _n(r.notified), _n(r.signed),
                       _n(r.ended), _n(r.renewed)])
    if len(rows) == 1:
        t.rows = []
    return t


def permanence_table(scope: q.Scope, period: q.Period) -> Table:
    """Permanence sessions, arrivals, people."""
    p = q.permanence(scope.ids, period)
    t = Table("permanence", "Permanences", ["Indicateur", "Valeur"])
    if p.sessions or p.arrivals:
        t.rows = [[Cell("Séances tenues"), _n(p.sessions)],
                  [Cell("Passages"), _n(p.arrivals)],
                  [Cell("Personnes différentes reçues"), _n(p.people)]]
    return t


def rehousing_table(scope: q.Scope, period: q.Period) -> Table:
    """Rehousing results (urban renewal operations), from app.relogement."""
    t = Table("relogement", "Résultats de relogement", ["Issue", "Ménages"], total=True,
              note="Ménages des opérations de relogement dont l'issue est datée dans la période.")
    results = q.rehousing(current_user, scope.ids, period)
    if results is None:
        t.empty = "Le suivi du relogement n'est pas encore disponible dans Terrain."
        return t
    if not results[-1][2]:
        return t
    for code, label, n in results:
        t.rows.append([Cell(label), _n(n)])
    return t


def indicator_tables(scope: q.Scope, period: q.Period, today: date) -> list[Table]:
    """Every table of the indicators page, in the order shown."""
    return [followed_table(scope, period), activity_table(scope, period, today),
            destinations_table(scope, period), orientations_table(scope, period),
            visits_table(scope, period, today), rights_table(scope, period),
            measures_period_table(scope, period), vacancy_table(scope, period, today),
            occupancy_table(scope, period, today), housing_exits_table(scope, period),
            arrears_table(scope, period, today), permanence_table(scope, period),
            rehousing_table(scope, period)]


# -- Admission commission --------------------------------------------------------------------


def commission_tables(scope: q.Scope, period: q.Period, today: date) -> list[Table]:
    """Candidates, decisions of the period, and each place's occupancy."""
    cand = Table("candidats", "Candidatures en cours",
                 ["Candidat·e", "Reçue le", "Orientée par", "Composition", "Souhait", "Étape"],
                 empty="Aucune candidature en cours.")
    from app.housing.models import DECISIONS, WANTED_UNITS

    for a in q.commission_candidates(scope.ids):
        cand.rows.append([Cell(a.name, url_for("housing.application", application_id=a.id)),
                          Cell(a.received_on), Cell(a.partner or a.source.upper()),
                          Cell(a.composition), Cell(WANTED_UNITS.get(a.wanted or "", "—")),
                          Cell(a.status_label)])
    dec = Table("decisions", "Décisions de la commission",
                ["Commission du", "Candidat·e", "Décision", "Motif"],
                empty="Aucune décision sur la période.")
    for d in q.commission_decisions(scope.ids, period):
        dec.rows.append([Cell(d.commission_on),
                         Cell(d.application.name, url_for("housing.application",
                                                          application_id=d.application_id)),
                         Cell(DECISIONS.get(d.decision, d.decision)), Cell(d.reason or "")])
    places = Table("places", "Occupation des places",
                   ["Lieu", "Place", "Occupant·e", "Depuis le", "Libre depuis le"],
                   empty="Aucun lieu de vie collectif dans ces équipes.")
    for r in q.commission_places(scope.ids, today):
        occupant = Cell(r.contract.household.name,
                        url_for("housing.contract", contract_id=r.contract.id)) \
            if r.contract else Cell("Libre")
        places.rows.append([Cell(r.flat.name or r.flat.address,
                                 url_for("housing.flat", flat_id=r.flat.id)),
                            Cell(r.place.label), occupant,
                            Cell(r.contract.start_on if r.contract else None),
                            Cell(r.vacant_since)])
    return [cand, dec, places]


# -- The activity summary (PDF) --------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{number(n)} {one if n <= 1 else many}"


def summary_facts(scope: q.Scope, period: q.Period, today: date) -> list[str]:
    """A few French sentences summing up the period, ready to paste into the annual report."""
    facts = []
    rows = q.followed(scope.ids, period)
    total = rows[-1]
    facts.append(f"{period.label.capitalize()}, {_plural(total.households, 'ménage a été accompagné', 'ménages ont été accompagnés')}, "
                 f"soit {_plural(total.people, 'personne', 'personnes')}.")
    if len(rows) > 2:
        facts.append("Par dispositif : " + " ; ".join(
            f"{r.label} : {_plural(r.households, 'ménage', 'ménages')}" for r in rows[:-1]) + ".")
    facts.append(f"{_plural(total.entries, 'entrée', 'entrées')} et "
                 f"{_plural(total.exits, 'sortie', 'sorties')} d'accompagnement sur la période.")
    dest = q.exits_by_destination(scope.ids, period)
    if total.exits:
        housed = dest.get("logement_autonome", 0) + dest.get("bail_glisse", 0)
        facts.append(f"{_plural(housed, 'sortie', 'sorties')} vers un logement (autonome ou bail "
                     f"glissé), soit {number(round(100 * housed / total.exits, 1))} % des sorties.")
    if total.avg_days is not None:
        facts.append(f"Durée moyenne des accompagnements terminés : {number(total.avg_days)} jours "
                     f"(environ {number(round(total.avg_days / 30.44, 1))} mois).")
    visits = q.visits_by_state(scope.ids, period, today)
    facts.append(f"{_plural(visits['faite'], 'visite faite', 'visites faites')}"
                 + (f", {_plural(visits['absent'], 'ménage absent', 'ménages absents')}"
                    if visits["absent"] else "") + ".")
    rights_ = q.rights(scope.ids, period)
    granted = sum(g for _, g, _ in rights_.values())
    if rights_:
        facts.append(f"{_plural(sum(f for f, _, _ in rights_.values()), 'demande de droit déposée', 'demandes de droits déposées')}, "
                     f"{_plural(granted, 'droit accordé', 'droits accordés')}.")
    vac = q.vacancy_total(scope.ids, period, today)
    if vac.managed:
        facts.append(f"Taux de vacance des logements : {number(vac.rate)} % "
                     f"({_plural(vac.vacant, 'jour vacant', 'jours vacants')} sur "
                     f"{number(vac.managed)} jours-logement gérés).")
    p = q.permanence(scope.ids, period)
    if p.sessions:
        facts.append(f"{_plural(p.sessions, 'permanence tenue', 'permanences tenues')}, "
                     f"{_plural(p.arrivals, 'passage', 'passages')}, "
                     f"{_plural(p.people, 'personne différente reçue', 'personnes différentes reçues')}.")
    return facts
