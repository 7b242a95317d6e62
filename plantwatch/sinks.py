"""Local receivers for alerts on one machine: an HTTP webhook and an SMTP mailbox (aiosmtpd).

The demo points the cloud's alert channels at them, so notifications are delivered for
real, over loopback, and can be shown.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from plantwatch.broker import free_port


@dataclass
class Inbox:
    """What the sinks received: Alertmanager payloads and e-mail subjects."""

    webhooks: list[dict[str, Any]] = field(default_factory=list)
    mails: list[str] = field(default_factory=list)
    # (recipients, subject, text) of every message: pages carry their links in the text
    letters: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class WebhookSink:
    """An HTTP server on 127.0.0.1 keeping every JSON body posted to it."""

    def __init__(self, inbox: Inbox) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    doc = json.loads(body)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                with inbox.lock:
                    inbox.webhooks.append(doc)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        """Serve in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class _Mailbox:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        msg = message_from_bytes(content)
        body = msg.get_payload(decode=True) if not msg.is_multipart() else b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else ""
        with self.inbox.lock:
            self.inbox.mails.append(str(msg.get("Subject", "")))
            self.inbox.letters.append((str(msg.get("To", "")), str(msg.get("Subject", "")), text))
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on 127.0.0.1 keeping the subject of every message."""

    def __init__(self, inbox: Inbox) -> None:
        self.port = free_port()
        self._controller = Controller(_Mailbox(inbox), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        """Serve in aiosmtpd's thread."""
        self._controller.start()

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()
