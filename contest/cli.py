"""Flask CLI commands: ``flask create-user``, … (``flask --app wsgi --help`` lists them)."""
import click
from flask import Flask

from contest.extensions import db
from contest.models import Role
from contest.services.accounts import AccountError, create_user


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--username", prompt=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), default="organizer", show_default=True)
    @click.option("--display-name", default=None)
    @click.password_option()
    def create_user_command(username: str, role: str, display_name: str | None, password: str):
        """Create a user (e.g. the first organizer)."""
        try:
            user = create_user(username=username, password=password, role=Role(role), display_name=display_name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"created {user.role} {user.username}")
