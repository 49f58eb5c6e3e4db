"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``. The only module-level app."""
from contest import create_app

app = create_app()
