"""An independent OAuth 1.0a service provider (oauthlib) for an applinks server to consume.

It serves on 127.0.0.1, on a port of its own choosing that it prints on standard output once
it listens, and stops when standard input closes or on SIGTERM or SIGINT. Everything it knows
lives in memory. At start it reads the applinks server's consumer-info and registers that
application as its only consumer (RSA-SHA1, with the public key found there), under the key
given with --consumer-key or else the one consumer-info names. The users are those given with
--user. The endpoints, all verified by oauthlib's own endpoints:

POST /oauth/request-token
    RequestTokenEndpoint: a request token for a consumer that names a callback.
GET /oauth/authorize?oauth_token=...
    AuthorizationEndpoint: a form naming the consumer, with a user name and Allow or Deny.
POST /oauth/authorize
    with oauth_token, username and decision=allow: redirects to the consumer's callback with
    the token and a verifier; decision=deny redirects with oauth_verifier=denied, as the
    reference products do. An unknown user name is refused with 403.
POST /oauth/access-token
    AccessTokenEndpoint: an access token for an authorised request token and its verifier.
GET /rest/api/1.0/myself
    {"name", "authentication"}: with a non-empty oauth_token, ResourceEndpoint and the user who
    authorised the token ("3-legged"); with oauth_token empty or absent, SignatureOnlyEndpoint
    and the user named by xoauth_requestor_id ("2-legged impersonation"). Refusals answer 401
    with oauth_problem (the OAuth Problem Reporting extension, as the reference products send
    it) in both the WWW-Authenticate header and the form-encoded body: token_revoked or
    token_rejected for a dead token, permission_denied for an unknown or absent requestor,
    signature_invalid otherwise. With --no-problem-reporting, refusals are a bare 401 instead,
    as an oauthlib application that reports nothing more answers.
POST /tokens/revoke
    with username: revokes every access token that user authorised, as a person does on the
    provider's own pages; answers {"revoked": count}.

Nothing here trusts the applinks server's code: signatures, token checks and callback
handling are all oauthlib's.
"""

import argparse
import base64
import html
import json
import signal
import sys
import threading
import urllib.request
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from oauthlib.oauth1 import (
    SIGNATURE_RSA,
    AccessTokenEndpoint,
    AuthorizationEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
    SignatureOnlyEndpoint,
)
from oauthlib.oauth1.rfc5849 import errors
from oauthlib.oauth1.rfc5849.signature import collect_parameters

TIMEOUT = 10
DUMMY = "dummy"


def main():
    args = parse_arguments()
    consumer_key, public_key = read_consumer_info(args.consumer_info)
    validator = Validator(args.consumer_key or consumer_key, public_key, set(args.user))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_port}"
    server.provider = Provider(validator, base_url, not args.no_problem_reporting)

    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(server.server_port, flush=True)

    # The main thread only waits, so that signal handlers run promptly.
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumer-info", required=True, help="the consumer's consumer-info URL")
    parser.add_argument("--consumer-key", help="the key to know the consumer by, if not its own")
    parser.add_argument("--user", action="append", default=[], help="a user (repeatable)")
    parser.add_argument(
        "--no-problem-reporting", action="store_true", help="refuse with a bare 401"
    )
    return parser.parse_args()


def read_consumer_info(url):
    """The consumer key and public key (PEM) an applinks server publishes about itself."""
    # A proxy from the environment must not come between us and loopback.
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with no_proxy.open(url, timeout=TIMEOUT) as answer:
        consumer = ElementTree.fromstring(answer.read())
    key = consumer.findtext("key")
    der = base64.b64decode(consumer.findtext("publicKey"))
    lines = [base64.b64encode(der[i : i + 48]).decode("ascii") for i in range(0, len(der), 48)]
    pem = "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----", ""])
    return key, pem


class Validator(RequestValidator):
    """oauthlib's questions answered from memory, for one RSA-SHA1 consumer."""

    def __init__(self, consumer_key, public_key, users):
        super().__init__()
        self.consumer_key = consumer_key
        self.public_key = public_key
        self.users = users
        self.lock = threading.Lock()
        self.nonces = set()
        # token -> {"secret", "callback", "verifier", "user"}
        self.request_tokens = {}
        # token -> {"secret", "user"}
        self.access_tokens = {}
        self.revoked = set()

    # oauthlib insists on https and on 20 to 30 alphanumerics for keys; an applinks server's own
    # consumer key is "applinks:<uuid>" and loopback has no TLS.
    enforce_ssl = False
    allowed_signature_methods = (SIGNATURE_RSA,)
    dummy_client = DUMMY
    dummy_request_token = DUMMY
    dummy_access_token = DUMMY

    def check_client_key(self, client_key):
        return 0 < len(client_key) <= 255 and client_key.isprintable() and " " not in client_key

    def validate_client_key(self, client_key, request):
        return client_key == self.consumer_key

    def get_rsa_key(self, client_key, request):
        return self.public_key

    def validate_timestamp_and_nonce(
        self, client_key, timestamp, nonce, request, request_token=None, access_token=None
    ):
        seen = (client_key, timestamp, nonce, request_token or access_token)
        with self.lock:
            if seen in self.nonces:
                return False
            self.nonces.add(seen)
            return True

    def get_default_realms(self, client_key, request):
        return []

    def get_realms(self, token, request):
        return []

    def validate_requested_realms(self, client_key, realms, request):
        return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True

    def verify_realms(self, token, realms, request):
        return True

    def validate_redirect_uri(self, client_key, redirect_uri, request):
        return redirect_uri.startswith("http://127.0.0.1:")

    def save_request_token(self, token, request):
        with self.lock:
            self.request_tokens[token["oauth_token"]] = {
                "secret": token["oauth_token_secret"],
                "callback": request.redirect_uri,
                "verifier": None,
                "user": None,
            }

    def verify_request_token(self, token, request):
        return token in self.request_tokens

    def get_redirect_uri(self, token, request):
        return self.request_tokens[token]["callback"]

    def save_verifier(self, token, verifier, request):
        # The approving user comes in as an extra credential (see Handler.decide); taking it out
        # here keeps it off the redirect to the callback, which oauthlib builds from the same
        # dictionary.
        with self.lock:
            self.request_tokens[token]["verifier"] = verifier["oauth_verifier"]
            self.request_tokens[token]["user"] = verifier.pop("user")

    def validate_request_token(self, client_key, token, request):
        return client_key == self.consumer_key and token in self.request_tokens

    def get_request_token_secret(self, client_key, token, request):
        return self.request_tokens.get(token, {}).get("secret", DUMMY)

    def validate_verifier(self, client_key, token, verifier, request):
        expected = self.request_tokens.get(token, {}).get("verifier")
        return expected is not None and expected == verifier

    def invalidate_request_token(self, client_key, request_token, request):
        with self.lock:
            self.request_tokens.pop(request_token, None)

    def save_access_token(self, token, request):
        user = self.request_tokens[request.resource_owner_key]["user"]
        with self.lock:
            self.access_tokens[token["oauth_token"]] = {
                "secret": token["oauth_token_secret"],
                "user": user,
            }

    def validate_access_token(self, client_key, token, request):
        return client_key == self.consumer_key and token in self.access_tokens

    def get_access_token_secret(self, client_key, token, request):
        return self.access_tokens.get(token, {}).get("secret", DUMMY)

    def revoke(self, user):
        """Revokes every access token `user` authorised; returns how many."""
        with self.lock:
            tokens = [token for token, held in self.access_tokens.items() if held["user"] == user]
            for token in tokens:
                del self.access_tokens[token]
            self.revoked.update(tokens)
        return len(tokens)


class Provider:
    """The endpoints over one validator, and the answers they make."""

    def __init__(self, validator, base_url, problem_reporting):
        self.validator = validator
        self.base_url = base_url
        self.problem_reporting = problem_reporting
        self.request_token = RequestTokenEndpoint(validator)
        self.authorization = AuthorizationEndpoint(validator)
        self.access_token = AccessTokenEndpoint(validator)
        self.resource = ResourceEndpoint(validator)
        self.signature_only = SignatureOnlyEndpoint(validator)

    def myself(self, uri, headers):
        """200 and the JSON body of `myself` for a signed request, or 401 and the problem."""
        params = dict(collect_parameters(uri_query=urlsplit(uri).query, headers=headers))
        if params.get("oauth_token"):
            valid, request = self.resource.validate_protected_resource_request(
                uri, http_method="GET", headers=headers
            )
            if not valid:
                return self.refusal(request, params["oauth_token"])
            user = self.validator.access_tokens[request.resource_owner_key]["user"]
            return 200, {"name": user, "authentication": "3-legged"}

        valid, request = self.signature_only.validate_request(
            uri, http_method="GET", headers=headers
        )
        if not valid:
            return self.refusal(request, None)
        requestor = dict(request.params).get("xoauth_requestor_id")
        if requestor not in self.validator.users:
            return 401, "permission_denied"
        return 200, {"name": requestor, "authentication": "2-legged impersonation"}

    def refusal(self, request, token):
        """The oauth_problem for a request oauthlib did not validate."""
        log = request.validator_log if request is not None else {}
        if token is not None and not log.get("resource_owner", True):
            problem = "token_revoked" if token in self.validator.revoked else "token_rejected"
        elif not log.get("client", True):
            problem = "consumer_key_unknown"
        else:
            problem = "signature_invalid"
        return 401, problem


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.0, one request per connection; the provider is on the server."""

    server_version = "oauthlib-provider"

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/rest/api/1.0/myself":
            status, answer = self.provider.myself(self.uri, dict(self.headers))
            if status == 200:
                self.answer(200, "application/json", json.dumps(answer))
            else:
                self.problem(answer)
        elif path == "/oauth/authorize":
            self.approval_page()
        else:
            self.answer(404, "text/plain", "not found")

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        headers = dict(self.headers)
        if path == "/oauth/request-token":
            self.endpoint_answer(
                *self.provider.request_token.create_request_token_response(
                    self.uri, http_method="POST", body=body, headers=headers
                )
            )
        elif path == "/oauth/access-token":
            self.endpoint_answer(
                *self.provider.access_token.create_access_token_response(
                    self.uri, http_method="POST", body=body, headers=headers
                )
            )
        elif path == "/oauth/authorize":
            self.decide(dict(parse_qsl(body)))
        elif path == "/tokens/revoke":
            revoked = self.provider.validator.revoke(dict(parse_qsl(body)).get("username"))
            self.answer(200, "application/json", json.dumps({"revoked": revoked}))
        else:
            self.answer(404, "text/plain", "not found")

    @property
    def provider(self):
        return self.server.provider

    @property
    def uri(self):
        """The request's absolute URI, as its signer saw it."""
        return self.provider.base_url + self.path

    def approval_page(self):
        try:
            _, credentials = self.provider.authorization.get_realms_and_credentials(
                self.uri, http_method="GET", headers=dict(self.headers)
            )
        except errors.OAuth1Error as error:
            self.answer(400, "text/plain", error.description or error.error)
            return
        token = html.escape(credentials["resource_owner_key"], quote=True)
        page = (
            "<!doctype html><title>Authorise</title>"
            f"<p>Allow {html.escape(self.provider.validator.consumer_key)} to act as you?</p>"
            '<form method="post" action="/oauth/authorize">'
            f'<input type="hidden" name="oauth_token" value="{token}">'
            '<input name="username">'
            '<button name="decision" value="allow">Allow</button>'
            '<button name="decision" value="deny">Deny</button></form>'
        )
        self.answer(200, "text/html; charset=utf-8", page)

    def decide(self, form):
        token = form.get("oauth_token", "")
        user = form.get("username", "")
        if user not in self.provider.validator.users:
            self.answer(403, "text/plain", "unknown user")
            return
        uri = self.provider.base_url + "/oauth/authorize?" + urlencode({"oauth_token": token})
        try:
            if form.get("decision") == "allow":
                headers, _, status = self.provider.authorization.create_authorization_response(
                    uri, http_method="POST", credentials={"user": user}
                )
            else:
                self.provider.authorization.get_realms_and_credentials(uri)
                callback = self.provider.validator.get_redirect_uri(token, None)
                denied = {"oauth_token": token, "oauth_verifier": "denied"}
                separator = "&" if "?" in callback else "?"
                headers, status = {"Location": callback + separator + urlencode(denied)}, 302
        except errors.OAuth1Error as error:
            self.answer(400, "text/plain", error.description or error.error)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def endpoint_answer(self, headers, body, status):
        body = body or ""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body.encode("utf-8"))))
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))

    def problem(self, problem):
        if not self.provider.problem_reporting:
            self.answer(401, "text/plain", "")
            return
        realm = self.provider.base_url
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'OAuth realm="{realm}", oauth_problem="{problem}"')
        body = urlencode({"oauth_problem": problem}).encode("ascii")
        self.send_header("Content-Type", "application/x-www-form-urlencoded")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self, status, content_type, text):
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Each request on standard error: standard output carries only the port."""
        sys.stderr.write("provider.py: " + format % args + "\n")


if __name__ == "__main__":
    main()
