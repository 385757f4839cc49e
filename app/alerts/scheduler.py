"""The alert scheduler: `flask alerts run` as its own process, or a thread of the server
process (the embedded default). Passes are idempotent, so several may run at once."""
from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from app.timeutil import utcnow

log = logging.getLogger("terrain.alerts")
cli = AppGroup("alerts", help="Alertes : règles, notifications, envois.")


def one_pass(app: Flask) -> None:
    """Run one pass in its own app context, logging (never raising) failures."""
    from app.alerts.services import run_pass

    with app.app_context():
        try:
            result = run_pass(utcnow())
            log.info("alerts pass: %s candidates, %s new, %s resolved, %s queued, %s pushes",
                     result.candidates, result.created, result.resolved, result.queued,
                     result.pushes)
        except Exception:  # noqa: BLE001 - the loop must survive one bad pass
            db.session.rollback()
            log.exception("alerts pass failed")
        try:  # the privacy retention, once a day, from the same loop (app/privacy)
            from app.privacy.services import daily_retention

            daily_retention(utcnow())
        except Exception:  # noqa: BLE001
            db.session.rollback()
            log.exception("retention pass failed")
        finally:
            db.session.remove()


def loop(app: Flask, interval: int, stop: threading.Event) -> None:
    """Run a pass every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        one_pass(app)
        stop.wait(interval)


@cli.command("run")
@click.option("--once", is_flag=True, help="Une seule passe, puis sortir (tests, cron).")
@click.option("--interval", type=int, default=None, help="Secondes entre deux passes.")
def run_command(once: bool, interval: int | None) -> None:
    """Evaluate the rules, update the alerts and send the notifications, in a loop."""
    app = current_app._get_current_object()
    if once:
        from app.alerts.services import run_pass

        result = run_pass(utcnow())
        click.echo(f"{result.candidates} échéances, {result.created} alertes nouvelles, "
                   f"{result.resolved} résolues, {result.queued} notifications, "
                   f"{result.pushes} envois.")
        # The cron mode applies the retention too, once a day, like the loop (app/privacy).
        from app.privacy.services import daily_retention

        kept = daily_retention(utcnow())
        if kept is not None:
            click.echo(f"Conservation : {kept.summary()}.")
        return
    every = interval or app.config["ALERTS_INTERVAL_SECONDS"]
    click.echo(f"Alertes : une passe toutes les {every} s (Ctrl-C pour arrêter).")
    stop = threading.Event()
    try:
        loop(app, every, stop)
    except KeyboardInterrupt:
        stop.set()


def init_app(app: Flask) -> None:
    """Add `flask alerts`; start the in-process thread on the first request when configured
    (never for CLI commands, never in tests)."""
    app.cli.add_command(cli)
    if not app.config.get("ALERTS_SCHEDULER_IN_PROCESS"):
        return
    state = {"started": False}
    lock = threading.Lock()

    @app.before_request
    def _start_scheduler():
        if state["started"]:
            return
        with lock:
            if state["started"]:
                return
            state["started"] = True
            stop = threading.Event()
            app.extensions["terrain_alerts_stop"] = stop
            threading.Thread(target=loop, name="terrain-alerts", daemon=True,
                             args=(app, app.config["ALERTS_INTERVAL_SECONDS"], stop)).start()
