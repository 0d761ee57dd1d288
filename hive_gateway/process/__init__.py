"""Process bootstrap: TLS material and the embedded nats-server."""
