"""A minimal receiver of the desk's webhooks, using only the standard library and deskclient.

    WEBHOOK_SECRET=whsec_... python docs/examples/webhook_receiver.py 8080

It verifies each delivery's signature over the raw body before parsing it, drops an event it
has already handled (deliveries are at least once), and answers 2xx quickly: anything else, or
no answer within the desk's timeout, is retried with backoff.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from deskclient.signatures import SIGNATURE_HEADER, SignatureError, verify_signature

SECRET = os.environ["WEBHOOK_SECRET"]
seen: set[str] = set()  # a real receiver keeps this in its database


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            verify_signature(body, self.headers.get(SIGNATURE_HEADER, ""), SECRET)
        except SignatureError as refused:
            self.send_error(400, str(refused))
            return
        event = json.loads(body)
        if event["id"] not in seen:
            seen.add(event["id"])
            if event["type"] == "decision.created":
                ret, decision = event["data"]["return"], event["data"]["decision"]
                print(ret["order_id"], decision["action"], decision["reason_code"])
            else:
                print(event["type"], event["data"])
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("", int(sys.argv[1]) if len(sys.argv) > 1 else 8080), Handler).serve_forever()
