"""État des lieux pages: start, fill in (offline through the outbox), photos, sign, PDF."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth import wants_json
from app.auth.scoping import role_required, team_ids
from app.extensions import db
from app.htmx import render
from app.inventories import photos, queries, services
from app.inventories import timeline as _timeline  # noqa: F401  (registers the provider)
from app.inventories.models import CONDITIONS, KINDS, METERS, PARTIES
from app.inventories.pdf import inventory_pdf
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("inventories", __name__, url_prefix="/edl")


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Inventories concern households: volunteers never see them."""
    return None


def _read(inventory, what: str):
    record("inventory.read", actor=current_user, object_type="inventory", object_id=inventory.id,
           team_id=inventory.team_id, detail={"view": what})
    db.session.commit()


@bp.route("/logement/<int:flat_id>")
def of_flat(flat_id: int):
    """A flat's inventories and the form to start one."""
    flat = queries.flat_or_404(flat_id, current_user)
    return render("inventories/flat.html", flat=flat, inventories=queries.of_flat(flat),
                  contracts=queries.contracts_of(flat), today=today_paris(), kinds=KINDS)


@bp.route("/logement/<int:flat_id>/nouveau", methods=["POST"])
def start(flat_id: int):
    """Start an entry or exit inventory for one occupancy."""
    flat = queries.flat_or_404(flat_id, current_user)
    contract = None
    if request.form.get("contract_id"):
        contract = next((c for c in queries.contracts_of(flat)
                         if str(c.id) == request.form["contract_id"]), None)
        if contract is None:
            abort(404)
    try:
        done_on = date.fromisoformat(request.form.get("done_on") or "")
    except ValueError:
        flash("Date invalide.", "error")
        return redirect(url_for("inventories.of_flat", flat_id=flat.id))
    try:
        inventory = services.start(current_user, flat, request.form.get("kind", ""), contract,
                                   done_on, now=utcnow())
    except services.InventoryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("inventories.of_flat", flat_id=flat.id))
    return redirect(url_for("inventories.show", inventory_id=inventory.id))


@bp.route("/<int:inventory_id>", methods=["GET"])
def show(inventory_id: int):
    """The inventory: a form while it is a draft, a read-only document once signed."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    _read(inventory, "page")
    return render("inventories/show.html", inventory=inventory, conditions=CONDITIONS,
                  meters=METERS, worse=services.compare(inventory) if inventory.entry else [])


@bp.route("/<int:inventory_id>", methods=["POST"])
def save(inventory_id: int):
    """Save the page (from the form, or replayed by the phone's outbox)."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    seen = request.form.get("version", type=int)
    try:
        services.save(current_user, inventory, services.parse_form(request.form), seen,
                      now=utcnow())
    except services.Conflict as exc:
        return _refused(inventory, str(exc), 409)
    except services.InventoryError as exc:
        return _refused(inventory, str(exc), 422)
    page = url_for("inventories.show", inventory_id=inventory.id)
    if wants_json():
        return jsonify(status="saved", version=inventory.version, url=page), 200
    flash("État des lieux enregistré.", "success")
    return redirect(page, 303)


def _refused(inventory, message: str, status: int):
    if wants_json():
        return jsonify(status="invalid" if status == 422 else "conflict", error=message), status
    flash(message, "error")
    return render("inventories/show.html", status=status, inventory=inventory,
                  conditions=CONDITIONS, meters=METERS, worse=[])


@bp.route("/<int:inventory_id>/photos", methods=["POST"])
def add_photo(inventory_id: int):
    """Receive one photo (exactly once per client_id); answers JSON."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    upload = request.files.get("photo")
    item_id = request.form.get("item_id", type=int)
    meter = request.form.get("meter") or None
    try:
        photo, created = services.add_photo(
            current_user, inventory, request.form.get("client_id", ""),
            upload.read() if upload else b"", item_id=item_id, meter=meter, now=utcnow())
    except services.InventoryError as exc:
        return jsonify(status="invalid", error=str(exc)), 422
    return jsonify(status="created" if created else "replay", key=photo.key,
                   thumb=url_for("inventories.photo", key=photo.key, mini=1),
                   url=url_for("inventories.show", inventory_id=inventory.id)), \
        201 if created else 200


@bp.route("/photo/<key>")
def photo(key: str):
    """A photo, only for people of the team managing the flat."""
    row = queries.photo_or_404(key, current_user)
    try:
        return photos.send(row.key, thumb=bool(request.args.get("mini")))
    except photos.PhotoError:
        abort(404)


@bp.route("/<int:inventory_id>/signer", methods=["GET", "POST"])
def sign(inventory_id: int):
    """Both parties sign on the screen (or refuse, with a reason); then it is locked."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    error = None
    if request.method == "POST":
        parties = {p: {"name": request.form.get(f"{p}-name"),
                       "image": request.form.get(f"{p}-image"),
                       "refused": request.form.get(f"{p}-refused")} for p in PARTIES}
        try:
            services.sign(current_user, inventory, parties, now=utcnow())
        except services.InventoryError as exc:
            error = str(exc)
            if wants_json():
                return jsonify(status="invalid", error=error), 422
        else:
            page = url_for("inventories.show", inventory_id=inventory.id)
            if wants_json():
                return jsonify(status="signed", hash=inventory.signed_hash, url=page), 200
            flash("État des lieux signé : il ne peut plus être modifié.", "success")
            return redirect(page, 303)
    default_names = {"occupant": inventory.household.name if inventory.household else "",
                     "association": current_user.display_name}
    return render("inventories/sign.html", status=422 if error else 200, inventory=inventory,
                  parties=PARTIES, names=default_names, error=error, form=request.form)


@bp.route("/<int:inventory_id>/pdf")
def pdf(inventory_id: int):
    """The document given to the household (and kept)."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    _read(inventory, "pdf")
    data = inventory_pdf(inventory, services.compare(inventory))
    name = f"etat-des-lieux-{inventory.kind}-{inventory.done_on:%Y-%m-%d}-{inventory.id}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.route("/<int:inventory_id>/nouvelle-version", methods=["POST"])
def new_version(inventory_id: int):
    """Correct a signed inventory in a new version."""
    inventory = queries.inventory_or_404(inventory_id, current_user)
    try:
        draft = services.new_version(current_user, inventory, now=utcnow())
    except services.InventoryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("inventories.show", inventory_id=inventory.id))
    flash("Nouvelle version créée : la version signée reste telle quelle.", "success")
    return redirect(url_for("inventories.show", inventory_id=draft.id))


@bp.route("/modeles", methods=["GET", "POST"])
@role_required(*LEAD_ROLES)
def templates():
    """Coordinators edit the rooms and items inventories start from, per team and flat type."""
    teams = sorted((m.team for m in current_user.memberships if m.role in LEAD_ROLES),
                   key=lambda t: t.name)
    team_id = request.values.get("equipe", type=int) or teams[0].id
    if team_id not in team_ids(current_user, LEAD_ROLES):
        abort(404)
    kind = request.values.get("type", "T2")
    text = request.form.get("rooms")
    error = None
    if request.method == "POST":
        try:
            services.save_template(current_user, team_id, kind, text or "", now=utcnow())
        except services.InventoryError as exc:
            error = str(exc)
        else:
            flash(f"Modèle {kind} enregistré.", "success")
            return redirect(url_for("inventories.templates", equipe=team_id, type=kind))
    if text is None:
        text = services.template_text(services.template_rooms(team_id, kind))
    from app.housing.models import FLAT_KINDS

    return render("inventories/templates.html", status=422 if error else 200, teams=teams,
                  team_id=team_id, kind=kind, kinds=FLAT_KINDS, text=text, error=error)
