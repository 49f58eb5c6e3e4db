"""``flask exports expire``: delete the files of finished exports past their ``expires_at`` (``EXPORT_KEEP_S``
after they were made). Each export job also does this before it runs; a cron entry keeps storage clean when no
export runs for a while. Safe at any time."""
import click
from flask import Flask
from flask.cli import AppGroup

from contest.extensions import db
from contest.services.exports.jobs import expire_exports

exports_cli = AppGroup("exports", help="Operate background exports.")


@exports_cli.command("expire")
def expire_command():
    """Delete expired export files and mark their jobs expired."""
    count = expire_exports()
    db.session.commit()
    click.echo(f"expired {count} export file(s)")


def register(app: Flask) -> None:
    app.cli.add_command(exports_cli)
