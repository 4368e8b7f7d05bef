# kasuhara in a container: the README's install and start commands, nothing else.
# Build: docker build -t kasuhara .   Run with PostgreSQL: docker compose up -d (compose.yaml)
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 kasuhara && mkdir -p /app /data && chown kasuhara:kasuhara /app /data
WORKDIR /app
COPY --chown=kasuhara:kasuhara . /app
USER kasuhara

# Install (README): python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"
RUN python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    KASUHARA_HOST=0.0.0.0 \
    KASUHARA_CONFIG=/config/kasuhara.yaml \
    DATABASE_URL=sqlite:////data/kasuhara.db

EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4)"
# Start (README): kasuhara serve. SIGTERM stops it gracefully (requests in flight finish).
STOPSIGNAL SIGTERM
CMD ["kasuhara", "serve"]
