"""Terrain: the application factory."""
from __future__ import annotations

import os

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from app import config as config_module
from app.extensions import csrf, db, login_manager, migrate  # noqa: F401


def create_app(config: dict | type | None = None) -> Flask:
    """Build the app; `config` is a Config class or a dict of overrides (tests)."""
    overrides = config if isinstance(config, dict) else {}
    # The instance folder (secret key, SQLite file, VAPID keys, photos) can live elsewhere,
    # e.g. on a volume shared by several workers.
    instance_path = overrides.get("INSTANCE_PATH") or os.environ.get("TERRAIN_INSTANCE_PATH")
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(config_module.Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    config_module.finalize(app)

    _init_database(app)
    csrf.init_app(app)

    from app import assets, auth, formatting, htmx, nav, proxy, security

    assets.init_app(app)
    auth.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    nav.init_app(app)
    proxy.init_app(app)

    from app.admin.views import bp as admin_bp
    from app.alerts.views import bp as alerts_bp
    from app.auth.passkey_views import bp as passkeys_bp
    from app.auth.views import bp as auth_bp
    from app.core.views import bp as core_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.households.views import bp as households_bp
    from app.housing.views import bp as housing_bp
    from app.inventories.views import bp as inventories_bp
    from app.logbook.views import bp as logbook_bp
    from app.measures.views import bp as measures_bp
    from app.permanences.views import bp as permanences_bp
    from app.pwa.views import bp as pwa_bp
    from app.privacy.views import bp as privacy_bp
    from app.relogement.views import bp as relogement_bp
    from app.visits.views import bp as visits_bp

    for bp in (core_bp, auth_bp, passkeys_bp, admin_bp, households_bp, housing_bp,
               visits_bp, inventories_bp, permanences_bp, alerts_bp, pwa_bp, measures_bp,
               logbook_bp, relogement_bp, dashboard_bp, privacy_bp):
        app.register_blueprint(bp)

    _register_errors(app)
    from app.cli import register_cli

    register_cli(app)
    from app.alerts import push, scheduler

    scheduler.init_app(app)
    push.init_app(app)  # VAPID keys into instance/ on first start
    return app


def _init_database(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from app.sqlite import configure_engine

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                         app.config["SQLITE_MMAP_MB"])


def _register_errors(app: Flask) -> None:
    messages = {
        400: ("Requête invalide", "La demande n'a pas pu être comprise."),
        403: ("Accès refusé", "Votre rôle ne permet pas d'ouvrir cette page."),
        404: ("Page introuvable", "Cette page n'existe pas, ou vous n'y avez pas accès."),
        405: ("Action impossible", "Cette action n'est pas possible ici."),
        410: ("Lien expiré", "Ce lien n'est plus valable."),
        500: ("Erreur du serveur", "Une erreur est survenue. Rien de ce qui était déjà "
              "enregistré n'est perdu ; réessayez dans un instant."),
    }

    def handler(exc):
        code = getattr(exc, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        title, text = messages.get(code, messages[500])
        return render_template("core/error.html", title=title, text=text, code=code), code

    for code in messages:
        app.register_error_handler(code, handler)

    @app.errorhandler(OperationalError)
    def database_busy(exc):
        """SQLite's write lock still taken after the busy timeout: ask to retry, lose nothing."""
        from app.sqlite import is_lock_timeout

        if not is_lock_timeout(exc):
            raise exc
        db.session.rollback()
        app.logger.warning("database lock not obtained in time: %s %s", request.method,
                           request.path)
        text = ("Terrain est très sollicité en ce moment et n'a pas pu enregistrer ni afficher "
                "cette page. Rien de ce qui était déjà enregistré n'est perdu ; réessayez "
                "dans quelques secondes.")
        from app.auth import wants_json

        if wants_json():
            response = jsonify(status="busy", error=text)
        else:
            response = make_response(render_template(
                "core/error.html", title="Serveur occupé", text=text, code=503))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        text = ("Le formulaire a expiré (jeton de sécurité manquant ou périmé). "
                "Rechargez la page puis recommencez.")
        from app.auth import wants_json

        if wants_json():
            return jsonify(status="csrf", error=text), 400
        return render_template("core/error.html", title="Formulaire expiré", text=text,
                               code=400), 400
