# Production image: the same code as `make run`, configured by environment variables (README).
# One image, three roles: web (gunicorn, WSGI), realtime (uvicorn, ASGI for /ws/), worker/beat (Celery).
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=megilance.settings.production
RUN useradd --create-home --uid 1000 megilance
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=megilance:megilance . /app
# collectstatic needs settings to load, not real secrets.
RUN DJANGO_SECRET_KEY=build-only-key-0123456789-0123456789-0123456789-abcdef DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput
USER megilance
EXPOSE 8000
CMD ["gunicorn", "megilance.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
