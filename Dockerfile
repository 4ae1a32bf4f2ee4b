# The bot: one process serving Slack callbacks and alert webhooks.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/incidentbot.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY playbooks ./playbooks
COPY templates ./templates
# Editable install: the package runs from /app, beside the playbooks/ and templates/ it reads.
RUN pip install -e . && useradd --system --home /app incidentbot \
    && mkdir -p /data && chown incidentbot /data

USER incidentbot
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["incidentbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
