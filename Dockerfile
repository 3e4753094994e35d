# geonews: slim Python image, non-root, serves on 0.0.0.0:8000 with a health check.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GEONEWS_DATABASE_URL=sqlite:////data/geonews.db \
    GEONEWS_INDEX_DIR=/data/index

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN pip install -e '.[postgres]'

RUN useradd --create-home --uid 10001 geonews && mkdir -p /data && chown geonews /data
USER geonews
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1

# Set GEONEWS_CURSOR_SECRET (and GEONEWS_API_KEY_SECRET): the server refuses the development default.
CMD ["geonews", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
