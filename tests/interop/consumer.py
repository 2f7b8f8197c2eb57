"""An independent OAuth 1.0a consumer (oauthlib + requests-oauthlib) against an applinks server.

The server must already know this consumer: an application link whose incoming consumer has
the key given here, the public half of the given RSA key, 2-legged OAuth allowed with an
execute-as user, and impersonation allowed. The flows, each selectable with --flow:

three-legged
    request token with a callback (and oauth_callback_confirmed=true); the user signs in with
    a browser-like session, opens the approval page, allows; the verifier is read from the
    redirect's Location without following it; the access token reads `myself` as that user;
    the session handle renews the access token and the renewed one reads `myself` again.
two-legged
    no oauth_token at all, as generic libraries send it: `myself` is the execute-as user.
impersonation
    2-legged with a signed `xoauth_requestor_id` query parameter: `myself` is that user, and an
    unknown user is refused with 401 and oauth_problem=permission_denied in both the
    WWW-Authenticate header and the form-encoded body.

It prints one JSON line with what it observed, and exits 1 with a message on standard error at
the first answer that differs from the expectation. Nothing here trusts the server's own code:
signatures, token parsing and callback parsing are all oauthlib's.
"""

import argparse
import json
import re
import sys
from urllib.parse import parse_qsl, urljoin

import requests
from oauthlib.oauth1 import SIGNATURE_RSA
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from requests_oauthlib import OAuth1Session

REQUEST_TOKEN = "/plugins/servlet/oauth/request-token"
AUTHORIZE = "/plugins/servlet/oauth/authorize"
ACCESS_TOKEN = "/plugins/servlet/oauth/access-token"
MYSELF = "/rest/api/1.0/myself"
CALLBACK = "http://127.0.0.1:9/callback"
TIMEOUT = 10


class Mismatch(Exception):
    """An answer that differs from what the flow expects."""


def expect(condition, message):
    if not condition:
        raise Mismatch(message)


def describe(response):
    """The status, OAuth challenge and start of the body of an answer, for messages."""
    challenge = response.headers.get("WWW-Authenticate", "")
    return f"{response.status_code} {challenge!r} {response.text[:300]!r}"


def main():
    args = parse_arguments()
    with open(args.private_key, encoding="ascii") as key_file:
        rsa_key = key_file.read()
    peer = Peer(args.base_url.rstrip("/"), args.consumer_key, rsa_key)
    flows = {
        "three-legged": lambda: three_legged(peer, args.username, args.password),
        "two-legged": lambda: two_legged(peer, args.execute_as),
        "impersonation": lambda: impersonation(peer, args.username, args.unknown_user),
    }
    results = {}
    try:
        for flow in args.flow or list(flows):
            results[flow] = flows[flow]()
    except (Mismatch, requests.RequestException, ValueError) as error:
        print(f"consumer.py: {flow}: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(results, sort_keys=True))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--consumer-key", required=True)
    parser.add_argument("--private-key", required=True, help="PEM file of the RSA key")
    parser.add_argument("--username", required=True, help="the user who approves 3-legged")
    parser.add_argument("--password", required=True)
    parser.add_argument("--execute-as", required=True, help="the link's 2-legged user")
    parser.add_argument("--unknown-user", required=True, help="a user name nobody has")
    parser.add_argument(
        "--flow",
        action="append",
        choices=["three-legged", "two-legged", "impersonation"],
        help="run only this flow (repeatable); all by default",
    )
    return parser.parse_args()


class Peer:
    """The server under test as this consumer sees it."""

    def __init__(self, base_url, consumer_key, rsa_key):
        self.base_url = base_url
        self.consumer_key = consumer_key
        self.rsa_key = rsa_key

    def url(self, path):
        return self.base_url + path

    def oauth(self, **token):
        """A session that signs every request with this consumer's RSA key."""
        session = OAuth1Session(
            self.consumer_key,
            signature_method=SIGNATURE_RSA,
            rsa_key=self.rsa_key,
            **token,
        )
        # A proxy or .netrc from the environment must not come between us and loopback.
        session.trust_env = False
        return session

    def myself(self, session, **params):
        """The name `myself` answers with, or a Mismatch naming the refusal."""
        response = session.get(self.url(MYSELF), params=params, timeout=TIMEOUT)
        expect(response.status_code == 200, f"GET myself {params}: {describe(response)}")
        return response.json()["name"]


def three_legged(peer, username, password):
    oauth = peer.oauth(callback_uri=CALLBACK)
    request_token = oauth.fetch_request_token(peer.url(REQUEST_TOKEN), timeout=TIMEOUT)
    expect(
        request_token.get("oauth_callback_confirmed") == "true",
        f"request token without oauth_callback_confirmed=true: {sorted(request_token)}",
    )

    location = approve(peer, oauth.authorization_url(peer.url(AUTHORIZE)), username, password)
    expect(location.startswith(CALLBACK + "?"), f"approval led to {location!r}")
    verified = oauth.parse_authorization_response(location)
    expect(
        verified.get("oauth_token") == request_token["oauth_token"],
        "the callback names another request token",
    )
    expect(verified.get("oauth_verifier"), f"no oauth_verifier in {location!r}")

    access_token = oauth.fetch_access_token(peer.url(ACCESS_TOKEN), timeout=TIMEOUT)
    for field in ("oauth_expires_in", "oauth_session_handle", "oauth_authorization_expires_in"):
        expect(field in access_token, f"access token answer without {field}")
    acting = peer.myself(oauth)
    expect(acting == username, f"3-legged myself is {acting!r}, not {username!r}")

    renewed_token = renew(peer, access_token)
    expect(
        renewed_token["oauth_token"] != access_token["oauth_token"],
        "renewal answered with the same access token",
    )
    renewed = peer.oauth(
        resource_owner_key=renewed_token["oauth_token"],
        resource_owner_secret=renewed_token["oauth_token_secret"],
    )
    acting_after_renewal = peer.myself(renewed)
    expect(
        acting_after_renewal == username,
        f"renewed myself is {acting_after_renewal!r}, not {username!r}",
    )

    # Recorded, not judged: whether renewal retires the old access token is the server's policy.
    replaced = peer.oauth(
        resource_owner_key=access_token["oauth_token"],
        resource_owner_secret=access_token["oauth_token_secret"],
    ).get(peer.url(MYSELF), timeout=TIMEOUT)
    return {
        "myself": acting,
        "renewed_myself": acting_after_renewal,
        "replaced_token_status": replaced.status_code,
    }


def approve(peer, authorize_url, username, password):
    """Signs in as a person would, allows the request token, and returns the redirect target."""
    browser = requests.Session()
    browser.trust_env = False
    signed_in = browser.post(
        peer.url("/login"),
        data={"username": username, "password": password, "next": authorize_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    expect(signed_in.status_code == 303, f"sign-in: {describe(signed_in)}")
    expect("applinks_session" in browser.cookies, "sign-in set no applinks_session cookie")

    page = browser.get(authorize_url, allow_redirects=False, timeout=TIMEOUT)
    expect(page.status_code == 200, f"approval page: {describe(page)}")
    csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    expect(csrf, "the approval page has no csrf_token field")
    token = dict(parse_qsl(authorize_url.split("?", 1)[1]))["oauth_token"]

    decided = browser.post(
        peer.url(AUTHORIZE),
        data={"oauth_token": token, "csrf_token": csrf.group(1), "decision": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    expect(decided.status_code in (302, 303), f"allow: {describe(decided)}")
    return urljoin(peer.url(AUTHORIZE), decided.headers["Location"])


def renew(peer, access_token):
    """Renews an access token with its session handle, signed with the token being renewed.

    requests-oauthlib has no call for the OAuth Session extension; the plain way is to send
    `oauth_session_handle` in a form body beside the Authorization header, which oauthlib
    signs like any body parameter.
    """
    oauth = peer.oauth(
        resource_owner_key=access_token["oauth_token"],
        resource_owner_secret=access_token["oauth_token_secret"],
    )
    handle = {"oauth_session_handle": access_token["oauth_session_handle"]}
    response = oauth.post(peer.url(ACCESS_TOKEN), data=handle, timeout=TIMEOUT)
    expect(response.status_code == 200, f"renewal: {describe(response)}")
    renewed = dict(parse_qsl(response.text))
    for field in ("oauth_token", "oauth_token_secret", "oauth_session_handle"):
        expect(field in renewed, f"renewal answer without {field}: {sorted(renewed)}")
    return renewed


def two_legged(peer, execute_as):
    acting = peer.myself(peer.oauth())
    expect(acting == execute_as, f"2-legged myself is {acting!r}, not {execute_as!r}")
    return {"myself": acting}


def impersonation(peer, username, unknown_user):
    oauth = peer.oauth()
    acting = peer.myself(oauth, xoauth_requestor_id=username)
    expect(acting == username, f"impersonated myself is {acting!r}, not {username!r}")

    refused = oauth.get(
        peer.url(MYSELF), params={"xoauth_requestor_id": unknown_user}, timeout=TIMEOUT
    )
    expect(refused.status_code == 401, f"impersonating {unknown_user}: {describe(refused)}")
    challenge = refused.headers.get("WWW-Authenticate", "")
    header_problem = dict(parse_authorization_header(challenge)).get("oauth_problem")
    body_problem = dict(parse_qsl(refused.text)).get("oauth_problem")
    expect(
        header_problem == body_problem == "permission_denied",
        f"impersonating {unknown_user}: {describe(refused)}",
    )
    return {"myself": acting, "unknown_user": {"status": 401, "oauth_problem": header_problem}}


if __name__ == "__main__":
    main()
