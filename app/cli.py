"""Command-line tools: `flask demo load|accounts`, `flask users create-admin`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(demo)
    app.cli.add_command(users)


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
def demo_load(if_empty: bool) -> None:
    """Load the demo association (idempotent)."""
    from app import demo as demo_data
    from app.auth.models import User
    from app.timeutil import utcnow

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("Base déjà remplie : données de démonstration non rechargées.")
        return
    added = demo_data.load(utcnow())
    summary = ", ".join(f"{n} {k}" for k, n in added.items())
    click.echo(f"Données de démonstration : ajouté {summary}.")


@demo.command("accounts")
@click.option("--url", default="http://localhost:5000", help="Address the app is served at.")
def demo_accounts(url: str) -> None:
    """Print where to open Terrain and the demo accounts."""
    from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    width = max(len(e) for e, _ in DEMO_ACCOUNTS)
    click.echo("")
    click.echo(f"  Terrain démarre : ouvrez {url}")
    click.echo(f"  Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
    for email, who in DEMO_ACCOUNTS:
        click.echo(f"    {email.ljust(width)}  {who}")
    click.echo("")


@click.group()
def users() -> None:
    """Accounts."""


@users.command("create-admin")
@click.option("--email", prompt="Adresse e-mail")
@click.option("--name", prompt="Prénom et nom")
@click.option("--team", prompt="Équipe (nom exact)")
@click.password_option(prompt="Mot de passe")
def create_admin(email: str, name: str, team: str, password: str) -> None:
    """Create the first administrator of a new installation."""
    from app.auth.models import Membership, Site, Team, User
    from app.auth.passwords import hash_password, password_problem
    from app.auth.services import normalize_email
    from app.timeutil import utcnow

    email = normalize_email(email)
    problem = password_problem(password, email, name)
    if problem:
        raise click.ClickException(problem)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise click.ClickException("Un compte existe déjà avec cette adresse.")
    team_row = db.session.scalar(select(Team).where(Team.name == team))
    if team_row is None:
        site = db.session.scalar(select(Site).order_by(Site.id)) or Site(name="Siège", city="")
        team_row = Team(name=team, programme="iml", site=site)
    user = User(email=email, display_name=name, password_hash=hash_password(password),
                created_at=utcnow())
    user.memberships = [Membership(team=team_row, role="admin", created_at=utcnow())]
    db.session.add(user)
    db.session.commit()
    click.echo(f"Administrateur·rice créé·e : {email} (équipe {team_row.name}).")
