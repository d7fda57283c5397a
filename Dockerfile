# syntax=docker/dockerfile:1
#
# IFM image: one image for every process (web, Celery worker, Celery beat, migrations); the
# command picks the role. Build with `docker build -t ifm .` or `docker compose build`.

# Both stages must use the same base: the virtual environment's interpreter is a link to the
# base image's /usr/local/bin/python3.13.
ARG PYTHON_IMAGE=python:3.13-slim-bookworm

# --- Stage 1: resolve and install the locked dependencies into /app/.venv.
FROM ${PYTHON_IMAGE} AS builder

ARG POETRY_VERSION=2.5.1
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POETRY_NO_INTERACTION=1 \
    POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_CACHE_DIR=/tmp/poetry-cache

RUN pip install "poetry==${POETRY_VERSION}"

WORKDIR /app
COPY pyproject.toml poetry.lock poetry.toml ./
# Bytecode is compiled here, once, because the runtime image's /app is read-only to the app user.
RUN poetry install --only main --no-root --no-interaction \
    && python -m compileall -q -j 0 --invalidation-mode unchecked-hash /app/.venv \
    && rm -rf "$POETRY_CACHE_DIR"

# --- Stage 2: the runtime image.
FROM ${PYTHON_IMAGE} AS runtime

# pg_dump must be at least the server's major version (it refuses to dump a newer server), and
# Debian bookworm ships PostgreSQL 15, so the client comes from the PostgreSQL project's apt
# repository. Keep PG_MAJOR equal to the server's major version (docker-compose.yml: postgres:17).
# The repository key is fetched with Python's urllib over HTTPS: the image has no curl or wget.
ARG PG_MAJOR=17
RUN set -eux; \
    python -c "import urllib.request; urllib.request.urlretrieve('https://www.postgresql.org/media/keys/ACCC4CF8.asc', '/usr/share/keyrings/apt.postgresql.org.asc')"; \
    . /etc/os-release; \
    echo "deb [signed-by=/usr/share/keyrings/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends tesseract-ocr "postgresql-client-${PG_MAJOR}"; \
    rm -rf /var/lib/apt/lists/*; \
    pg_dump --version; \
    tesseract --version

RUN groupadd --system --gid 10001 ifm \
    && useradd --system --uid 10001 --gid ifm --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ifm

ENV PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=saas_platform.settings.production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY . .

# Static files are collected into the image (var/static, served by WhiteNoise). The production
# settings refuse to load without these values, so throwaway ones are given to this
# command alone; they are not part of the image's environment and are never used at run time.
# var/media is the upload directory when no S3 bucket is configured (mount a volume there).
RUN DJANGO_SECRET_KEY=build-only-collectstatic-key-never-used-at-run-time-0123456789 \
    PLATFORM_DOMAIN=build.invalid \
    CHECK_FINGERPRINT_KEY=build-only-fingerprint-key-never-used-0123456789 \
    DEFAULT_FROM_EMAIL=build@build.invalid \
    python manage.py collectstatic --noinput \
    && python -m compileall -q -j 0 --invalidation-mode unchecked-hash -x '/\.venv/' /app \
    && mkdir -p var/media \
    && chown ifm:ifm var/media

USER ifm
EXPOSE 8000

# /healthz answers on the platform's own host, so the probe sends Host: $PLATFORM_DOMAIN.
# urlopen raises on 4xx/5xx; anything else outside 2xx is refused explicitly.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; r = u.urlopen(u.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', headers={'Host': os.environ['PLATFORM_DOMAIN']}), timeout=4); sys.exit(0 if 200 <= r.status < 300 else 1)"]

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "saas_platform.wsgi:application"]
