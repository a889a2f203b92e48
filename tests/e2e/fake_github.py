"""A stand-in for GitHub's installation endpoint, for `make e2e`.

    python3 tests/e2e/fake_github.py <port>

GET /app/installations/<id> answers by id:
  1001  an organization, "riseproject-dev"
  1002  a personal account, "<script>alert(1)</script>" (must come back escaped)
  1500  500 Internal Server Error
  other 404 Not Found
Every request must carry `Authorization: Bearer <jwt>`; others get 401.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNTS = {
    "1001": {"login": "riseproject-dev", "type": "Organization"},
    "1002": {"login": "<script>alert(1)</script>", "type": "User"},
}


class FakeGithub(BaseHTTPRequestHandler):
    def do_GET(self):
        prefix = "/app/installations/"
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self.answer(401, {"message": "Requires authentication"})
        if not self.path.startswith(prefix):
            return self.answer(404, {"message": "Not Found"})
        installation = self.path[len(prefix):]
        if installation == "1500":
            return self.answer(500, {"message": "Server Error"})
        account = ACCOUNTS.get(installation)
        if account is None:
            return self.answer(404, {"message": "Not Found"})
        body = {"id": int(installation), "account": account, "target_type": account["type"]}
        return self.answer(200, body)

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), FakeGithub).serve_forever()
