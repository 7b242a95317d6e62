"""TLS for the gateway's clients (uplink and MQTT): a private CA, and a client certificate
where the server asks for one (mutual TLS)."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(
    ca_file: Path | None, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext:
    """A verifying client context: the system's CAs or ``ca_file``, plus our certificate."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context
