# pcc-bot: Slack chat-ops for OVHcloud PCC datastore copies.
# Build: docker build -t pcc-bot .   Run: see docs/operations.md ("Container").
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
# The demo pieces (console, simulator, Slack stand-in) stay out of the production image.
RUN rm -rf bot/demo \
    && pip install --no-cache-dir --prefix=/install -c constraints.txt '.[postgres]'

FROM python:3.11-slim
# SQLite in /data by default; PCC_DATABASE_URL=postgresql://… for several replicas (the driver is here).
ENV PYTHONUNBUFFERED=1 \
    PCC_DB_PATH=/data/pcc-bot.db \
    PORT=3000
RUN useradd --system --uid 10001 --home-dir /data pccbot \
    && mkdir -p /data && chown 10001 /data
COPY --from=build /install /usr/local
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
# /healthz is served on PORT in both modes (Socket Mode: health and metrics only).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["pcc-bot"]
CMD ["serve"]
