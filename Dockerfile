# Production image: the same code as `make run`, configured by environment variables (README).
# One image, four roles: web (gunicorn, WSGI), asgi (uvicorn, WebSockets under /ws/), worker and beat
# (Celery); docker-compose.yml and docs/deploy.md show them together.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=megilance.settings.production
# pg_dump and pg_restore (PostgreSQL 15, as the database) for `manage.py backup_database`.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 megilance
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=megilance:megilance . /app
RUN install -d -o megilance -g megilance /app/staticfiles
USER megilance
# collectstatic needs settings to load, not real secrets.
RUN DJANGO_SECRET_KEY=build-only-key-0123456789-0123456789-0123456789-abcdef DJANGO_ALLOWED_HOSTS=localhost \
    EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend EMAIL_HOST=localhost \
    python manage.py collectstatic --noinput
EXPOSE 8000
# No access log from gunicorn: the proxy writes one without query strings or e-mailed tokens.
CMD ["gunicorn", "megilance.wsgi:application", "--config", "megilance/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4"]
