"""Flask CLI commands: ``flask create-user``, … (``flask --app wsgi --help`` lists them)."""
import click
from flask import Flask

from contest.extensions import db
from contest.services.accounts.errors import AccountError
from contest.services.accounts.users import create_user


def register(app: Flask) -> None:
    from contest.cli import demo
    from contest.cli import exports as exports_cli
    from contest.cli import media as media_cli
    from contest.cli import storage as storage_cli

    demo.register(app)
    storage_cli.register(app)
    media_cli.register(app)
    exports_cli.register(app)

    @app.cli.command("create-user")
    @click.option("--username", prompt=True)
    @click.option("--admin/--no-admin", default=True, show_default=True,
                  help="A site administrator (creates contests, grants contest roles) or a plain account.")
    @click.option("--display-name", default=None)
    @click.password_option()
    def create_user_command(username: str, admin: bool, display_name: str | None, password: str):
        """Create a user (e.g. the first site administrator)."""
        try:
            user = create_user(username=username, password=password, is_admin=admin, display_name=display_name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"created {'administrator' if user.is_admin else 'user'} {user.username}")

    @app.cli.command("export-results")
    @click.option("--contest", "code", required=True, help="Contest code, e.g. XH2026.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
    @click.option("--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
                  help="File to write, or - for standard output.")
    @click.option("--fully-reviewed-only", is_flag=True,
                  help="Rank only entries every assigned judge has reviewed (the others are listed unranked).")
    def export_results_command(code: str, fmt: str, output: str, fully_reviewed_only: bool):
        """Write a contest's results: CSV (UTF-8 with BOM) or XLSX, the same bytes as the organizer's
        download, with headers in the default language."""
        from flask_babel import force_locale
        from sqlalchemy import func, select

        from contest.models import Contest
        from contest.services.results.exports import results_csv, results_xlsx

        contest = db.session.scalar(select(Contest).where(func.lower(Contest.code) == code.strip().lower()))
        if contest is None:
            known = ", ".join(db.session.scalars(select(Contest.code).order_by(Contest.code))) or "none"
            raise click.ClickException(f"no contest with code {code!r} (known codes: {known})")
        with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            data = (results_csv if fmt == "csv" else results_xlsx)(contest=contest,
                                                                   fully_reviewed_only=fully_reviewed_only)
        with click.open_file(output, "wb") as out:
            out.write(data)
        if output != "-":
            click.echo(f"wrote {len(data)} bytes of {fmt.upper()} for {contest.code} to {output}", err=True)
