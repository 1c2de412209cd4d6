"""A real HTTP receiver for webhook tests: a local server in a thread that can be switched to
answer 500 or to hang, and records every request it gets."""

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes
    answered: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    mode: str = "ok"  # "ok" (200), "fail" (500) or "hang" (no answer until released)
    hang_seconds: float = 30.0
    answer_body: bytes | None = None  # what it answers with, instead of "ok" or "receiver is down"
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.answered == 200]

    def accepted_per_event(self) -> Counter:
        return Counter(r.payload["id"] for r in self.accepted())

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                mode = receiver.mode
                if mode == "hang":
                    receiver.released.wait(receiver.hang_seconds)
                answer = 200 if mode == "ok" else 500
                with receiver.lock:
                    receiver.requests.append(Received(dict(self.headers), body, answer))
                try:
                    self.send_response(answer)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    default = b"ok" if answer == 200 else b"receiver is down"
                    self.wfile.write(receiver.answer_body or default)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
