"""Commands: `flask privacy retention [--dry-run]`, `flask backup <dir>`,
`flask restore <archive>`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.timeutil import today_paris, utcnow

privacy = AppGroup("privacy", help="Données personnelles : conservation, archives.")


@privacy.command("retention")
@click.option("--dry-run", is_flag=True, help="Dire ce qui serait fait, sans rien changer.")
def retention_command(dry_run: bool) -> None:
    """Archive then anonymise the closed case files and the people received at a permanence
    whose retention is over."""
    from app.privacy.services import run_retention

    now = utcnow()
    result = run_retention(now, today_paris(now), dry_run=dry_run)
    click.echo(result.summary() + ".")
    for hid, reason in result.failed.items():
        click.echo(f"  ménage n° {hid} : {reason}")
    for pid, reason in result.dropin_failed.items():
        click.echo(f"  personne accueillie n° {pid} : {reason}")


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Write a dated backup archive (database and stored files, with a manifest) into FOLDER."""
    from app.privacy.backup import BackupError, backup

    try:
        result = backup(folder, utcnow())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(result.tables.values())
    click.echo(f"Sauvegarde écrite : {result.path} ({len(result.tables)} tables, {rows} lignes, "
               f"{result.files} fichiers).")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore a backup archive into this instance, which must be empty."""
    from app.privacy.backup import BackupError, restore

    try:
        result = restore(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(result.tables.values())
    click.echo(f"Restauration terminée : {len(result.tables)} tables, {rows} lignes, "
               f"{result.files} fichiers, identiques au manifeste.")


def init_app(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(privacy)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
