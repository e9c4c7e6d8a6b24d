# pcc-bot: Slack chat-ops for OVHcloud PCC datastore copies.
# Build: docker build -t pcc-bot:0.3.2 .   Run: see docs/operations.md ("Container").
FROM python:3.11-slim AS build
WORKDIR /src
# The dependencies first, in a layer of their own (pyproject's list at constraints.txt's versions): a
# change of code only rebuilds from `COPY bot` on (tests/contract/test_deploy.py holds the order).
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > requirements.txt \
    && pip install --no-cache-dir --prefix=/install -c constraints.txt -r requirements.txt
COPY README.md LICENSE ./
COPY handlers ./handlers
COPY bot ./bot
# The demo pieces (console, simulator, Slack stand-in) stay out of the production image.
RUN rm -rf bot/demo \
    && pip install --no-cache-dir --no-deps --prefix=/install .

FROM python:3.11-slim
ARG VERSION=0.3.2
LABEL org.opencontainers.image.title="pcc-bot" \
      org.opencontainers.image.description="Slack chat-ops for OVHcloud Hosted Private Cloud datastore copies, with approvals" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="docs/operations.md"
# SQLite in /data by default; PCC_DATABASE_URL=postgresql://… for several replicas (the driver is here).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PCC_DB_PATH=/data/pcc-bot.db \
    PORT=3000
RUN useradd --system --uid 10001 --home-dir /data pccbot \
    && mkdir -p /data && chown 10001 /data
COPY --from=build /install /usr/local
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000 9102
# /healthz is served on PORT in both modes (Socket Mode: health only); /readyz and /metrics on PCC_OPS_BIND.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["pcc-bot"]
CMD ["serve"]
