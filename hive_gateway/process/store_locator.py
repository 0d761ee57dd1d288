"""Where a gateway's store is: the embedded server's port, and ``<data-dir>/nats.json``.

``nats.json`` tells other commands on the same data dir (``hive-gateway accounts``,
``hive-gateway node``) which store the gateway uses:

* embedded server (written at start, removed at shutdown): ``{"url": ..., "token": ...}`` — the
  token is the embedded server's own, kept 0600 in the data dir anyway;
* external NATS (``--nats-url``; kept after shutdown, since the store outlives the gateway):
  ``{"external": true, "url": ..., "tls_ca"/"tls_cert"/"tls_key"/"creds": paths}`` — never a
  token, user or password; those come from the command's own options or environment.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

from hive_gateway.config import NatsOptions
from hive_gateway.process.embedded_nats import port_in_use

__all__ = [
    "PortInUseError",
    "choose_embedded_port",
    "port_in_use",
    "recorded_external_options",
    "write_external_info",
]

log = logging.getLogger(__name__)

_PATH_FIELDS = ("creds", "tls_ca", "tls_cert", "tls_key")


class PortInUseError(ValueError):
    """An explicitly requested port is taken by another process."""


def choose_embedded_port(host: str, port: int, *, explicit: bool) -> int:
    """The port for the embedded nats-server.

    ``0`` stays ``0`` (the server picks). A busy default port is replaced by a free one (logged;
    clients find it in ``nats.json``); a busy explicit port raises :class:`PortInUseError`, whose
    message is one line naming the port.
    """
    if port == 0 or not port_in_use(host, port):
        return port
    if explicit:
        raise PortInUseError(
            f"embedded nats-server: port {port} on {host} is already in use "
            "(another gateway or NATS server?); choose another --nats-port, or 0 for any free port"
        )
    log.info("port %d on %s is in use; the embedded nats-server takes a free port", port, host)
    return 0


def write_external_info(path: Path, options: NatsOptions) -> None:
    """Record the external store's URL (and TLS/creds file paths, never secrets) in ``path``."""
    info: dict[str, object] = {"external": True, "url": options.url}
    for name in _PATH_FIELDS:
        value = getattr(options, name)
        if value is not None:
            info[name] = str(Path(value).resolve())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(info, out)


def recorded_external_options(path: Path, options: NatsOptions) -> NatsOptions:
    """``options`` completed from ``path`` when it records an external store, else unchanged.

    Options given explicitly win; secrets (token, user, password) always come from ``options``.
    """
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return options
    if not isinstance(info, dict) or not info.get("external") or not info.get("url"):
        return options
    filled: dict[str, object] = {}
    if not options.url:
        filled["url"] = str(info["url"])
    for name in _PATH_FIELDS:
        if getattr(options, name) is None and isinstance(info.get(name), str):
            filled[name] = Path(info[name])
    return dataclasses.replace(options, **filled)  # type: ignore[arg-type]
