#!/usr/bin/env python3
"""A strict OpenID Connect relying party (authorization code + PKCE S256) on Authlib's requests client
and joserfc, adapted from ../shared/recipes/oidc.sh's rp_probe.py for Countersign.

It signs in through the OP's HTML pages like a browser (one cookie jar for the whole run: the first
sign-in fills `username`, `password` and `code`; later ones ride on the SSO session), then checks
discovery, the authorization response (state, RFC 9207 iss), the id_token (JWS through jwks_uri with
an alg allow-list, iss, aud, azp, exp, iat, nonce, at_hash), userinfo (sub match) and, with
--negative, the OP's own strictness: code replay, PKCE, redirect_uri, client authentication, a code
redeemed by another client, an unregistered redirect_uri, PKCE plain, a bad bearer token.
Prints PASS/FAIL lines and `OK: 0 failed` or `FAILED: ...`; exit 0 only if everything passed."""
import argparse, html.parser, json, sys, time, urllib.parse, warnings
warnings.filterwarnings("ignore", message=".*(deprecated|EdDSA).*")
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

ap = argparse.ArgumentParser()
for n in ("issuer", "client_id", "client_secret", "redirect_uri", "user", "password"):
    ap.add_argument(n)
ap.add_argument("code", nargs="?", default="", help="the second factor's code (TOTP) for the first sign-in")
ap.add_argument("--negative", action="store_true", help="also probe the OP's error handling")
ap.add_argument("--other-client", help="ID:SECRET of another confidential client (a stolen code must not work for it)")
ap.add_argument("--expect-amr", default="", help="comma-separated amr values the id_token must hold")
ap.add_argument("--expect-alg", default="", help="the alg the id_token must be signed with")
ap.add_argument("--leeway", type=int, default=30)
a = ap.parse_args()
FAILS = []
BROWSER = requests.Session()   # the browser's cookie jar: the OP's SSO session lives here


def check(ok, what, detail=""):
    print(("PASS " if ok else "FAIL ") + what + (f"  [{detail}]" if detail else ""), flush=True)
    if not ok:
        FAILS.append(what)
    return ok


def finish():
    print(f"{'OK' if not FAILS else 'FAILED'}: {len(FAILS)} failed" + (f" ({'; '.join(FAILS)})" if FAILS else ""))
    sys.exit(1 if FAILS else 0)


class Forms(html.parser.HTMLParser):
    """Every form on a page with its input fields (buttons are left out: they choose, they do not fill)."""
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, at):
        at = dict(at)
        if tag == "form":
            self.forms.append({"action": at.get("action") or "", "method": at.get("method") or "get", "fields": {}})
        elif tag in ("input", "select", "textarea") and self.forms and at.get("name"):
            if (at.get("type") or "").lower() in ("submit", "button", "checkbox", "radio"):
                return
            self.forms[-1]["fields"][at["name"]] = at.get("value") or ""


def fill(field):
    f = field.lower()
    if f == "username" or "user" in f:
        return a.user
    if "pass" in f:
        return a.password
    if f == "code" or "otp" in f:
        return a.code
    return None


def browser_login(authz_url):
    """Follow the OP's pages like a browser: fill username/password/code in the form that asks for them,
    until the OP redirects to our redirect_uri. Returns that callback URL (never fetched)."""
    r = BROWSER.get(authz_url, allow_redirects=False)
    for _ in range(8):
        loc = r.headers.get("Location")
        if r.status_code in (301, 302, 303, 307) and loc:
            loc = urllib.parse.urljoin(r.url, loc)
            if loc.startswith(a.redirect_uri):
                return loc
            r = BROWSER.get(loc, allow_redirects=False)
            continue
        p = Forms()
        p.feed(r.text)
        asking = [f for f in p.forms if any(fill(k) is not None for k in f["fields"])]
        if r.status_code != 200 or not asking:
            raise RuntimeError(f"sign-in stuck at {r.status_code} {r.url}: {r.text[:300]}")
        f = asking[0]
        data = {k: (fill(k) if fill(k) is not None else v) for k, v in f["fields"].items()}
        action = urllib.parse.urljoin(r.url, f["action"] or r.url)
        r = BROWSER.request(f["method"].upper(), action, data=data, allow_redirects=False)
    raise RuntimeError("too many sign-in steps")


md = requests.get(a.issuer + "/.well-known/openid-configuration").json()
check(md.get("issuer") == a.issuer, "discovery: issuer equals the URL it was fetched from", md.get("issuer"))
for k in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "response_types_supported",
          "subject_types_supported", "id_token_signing_alg_values_supported"):
    check(k in md, f"discovery: has {k}")
check("S256" in md.get("code_challenge_methods_supported", []), "discovery: code_challenge_methods_supported has S256")
ALGS = [x for x in md.get("id_token_signing_alg_values_supported", []) if x != "none"]
check(bool(ALGS) and "none" not in md.get("id_token_signing_alg_values_supported", []),
      "discovery: signing algs, none not offered", ",".join(ALGS))


def session(client_id=a.client_id, secret=a.client_secret):
    return OAuth2Session(client_id, secret, scope="openid profile email groups", redirect_uri=a.redirect_uri,
                         code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")


def authorize(sess, **extra):
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = sess.create_authorization_url(md["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra)
    return url, state, verifier, nonce


def validate_id_token(id_token, nonce, access_token):
    key_set = KeySet.import_key_set(requests.get(md["jwks_uri"]).json())
    tok = jwt.decode(id_token, key_set, registry=JWSRegistry(algorithms=ALGS))   # alg allow-list + signature + kid
    opts = {"iss": {"essential": True, "value": a.issuer}, "aud": {"essential": True, "value": a.client_id},
            "sub": {"essential": True}, "exp": {"essential": True}, "iat": {"essential": True},
            "nonce": {"essential": True}}
    claims = CodeIDToken(tok.claims, tok.header, opts, {"nonce": nonce, "client_id": a.client_id, "access_token": access_token})
    claims.validate(leeway=a.leeway)   # iss, aud, azp, exp, iat, nonce, at_hash (when present)
    return tok.header, claims


# ------------------------------------------------------------------ the happy path
sess = session()
url, state, verifier, nonce = authorize(sess)
try:
    cb = browser_login(url)
except Exception as e:
    check(False, "sign-in at the OP", f"{type(e).__name__}: {e}")
    finish()
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cb).query))
check("error" not in q, "authorization response has no error", q.get("error_description", ""))
check(q.get("state") == state, "authorization response: state echoed")
check(q.get("iss") == a.issuer, "authorization response: iss parameter (RFC 9207)", q.get("iss"))
t0 = time.time()
try:
    token = sess.fetch_token(md["token_endpoint"], authorization_response=cb, state=state, code_verifier=verifier)
except Exception as e:   # Authlib also refuses a state mismatch here (MismatchingStateException)
    check(False, "token request", f"{type(e).__name__}: {e}")
    finish()
check(token.get("token_type", "").lower() == "bearer", "token response: token_type Bearer", f"{(time.time()-t0)*1000:.0f} ms")
check("id_token" in token, "token response: has id_token")
try:
    hdr, claims = validate_id_token(token["id_token"], nonce, token["access_token"])
    check(True, "id_token: signature (jwks_uri), alg, iss, aud, exp, iat, nonce, azp, at_hash",
          f"alg={hdr['alg']} kid={hdr.get('kid')} sub={claims['sub']} amr={claims.get('amr')}")
    check("kid" in hdr, "id_token: header names its key (kid)")
    if a.expect_alg:
        check(hdr["alg"] == a.expect_alg, f"id_token: signed {a.expect_alg}", hdr["alg"])
    check("at_hash" in claims, "id_token: has at_hash")
    check(0 < claims.get("exp", 0) - claims.get("iat", 0) <= 3600, "id_token: lifetime <= 1 h", f"{claims['exp']-claims['iat']} s")
    check(claims["sub"] != a.user, "id_token: sub is not the username", claims["sub"])
    check(claims.get("preferred_username") == a.user, "id_token: preferred_username", claims.get("preferred_username"))
    amr = claims.get("amr") or []
    for want in [x for x in a.expect_amr.split(",") if x]:
        check(want in amr, f"id_token: amr has {want}", ",".join(amr))
    ui = sess.get(md["userinfo_endpoint"]).json()
    check(ui.get("sub") == claims["sub"], "userinfo: sub equals id_token sub", json.dumps(ui)[:160])
    check(ui.get("preferred_username") == a.user, "userinfo: preferred_username", ui.get("preferred_username"))
except Exception as e:
    check(False, "id_token validation", f"{type(e).__name__}: {e}")

# ------------------------------------------------------------------ the OP's strictness
if a.negative:
    code = q.get("code")

    def tok_req(data, auth=(a.client_id, a.client_secret)):
        return requests.post(md["token_endpoint"], data={"grant_type": "authorization_code", **data}, auth=auth)

    def error_of(r):
        try:
            return r.json().get("error")
        except ValueError:
            return r.text[:40]

    r = tok_req({"code": code, "redirect_uri": a.redirect_uri, "code_verifier": verifier})
    check(r.status_code == 400 and error_of(r) == "invalid_grant", "OP: code replay -> 400 invalid_grant", r.text[:100])
    r = requests.get(md["userinfo_endpoint"], headers={"Authorization": "Bearer " + token["access_token"]})
    check(r.status_code == 401, "OP: a replayed code revokes the access token issued by its first use", str(r.status_code))
    cases = [
        ("wrong code_verifier", lambda d: d | {"code_verifier": generate_token(48)}, None, (400, "invalid_grant")),
        ("missing code_verifier", lambda d: {k: v for k, v in d.items() if k != "code_verifier"}, None, (400, "invalid_grant")),
        ("other redirect_uri", lambda d: d | {"redirect_uri": a.redirect_uri + "x"}, None, (400, "invalid_grant")),
        ("wrong client secret", lambda d: d, (a.client_id, "wrong"), (401, "invalid_client")),
    ]
    if a.other_client:
        other = tuple(a.other_client.split(":", 1))
        cases.append(("code redeemed by another client", lambda d: d, other, (400, "invalid_grant")))
    for name, mutate, auth, want in cases:
        s2 = session()
        u2, st2, v2, n2 = authorize(s2)
        try:
            c2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(browser_login(u2)).query)).get("code")
        except Exception as e:
            check(False, f"OP: {name}: a second sign-in rides on the SSO session", f"{type(e).__name__}: {e}")
            continue
        d = {"code": c2, "redirect_uri": a.redirect_uri, "code_verifier": v2}
        r = tok_req(mutate(d), auth or (a.client_id, a.client_secret))
        check((r.status_code, error_of(r)) == want, f"OP: {name} -> {want[0]} {want[1]}", f"{r.status_code} {error_of(r)}")
    r = BROWSER.get(md["authorization_endpoint"], params={"client_id": a.client_id, "response_type": "code", "scope": "openid",
                    "redirect_uri": "https://evil.example/cb", "state": "x"}, allow_redirects=False)
    check(r.status_code >= 400 and not (r.headers.get("Location") or "").startswith("https://evil"),
          "OP: unregistered redirect_uri is refused, not redirected to", str(r.status_code))
    r = BROWSER.get(md["authorization_endpoint"], params={"client_id": a.client_id, "response_type": "code", "scope": "openid",
                    "redirect_uri": a.redirect_uri, "state": "x", "code_challenge": "a" * 43, "code_challenge_method": "plain"},
                    allow_redirects=False)
    loc = r.headers.get("Location") or ""
    check(loc.startswith(a.redirect_uri) and "error=" in loc, "OP: PKCE method plain refused (error redirect)", f"{r.status_code} {loc[:120]}")
    r = requests.get(md["userinfo_endpoint"], headers={"Authorization": "Bearer not-a-token"})
    check(r.status_code == 401 and "invalid_token" in r.headers.get("WWW-Authenticate", ""),
          "OP: userinfo bad token -> 401 invalid_token", f"{r.status_code} {r.headers.get('WWW-Authenticate')}")

finish()
