"""A Web Push receiver made from others' code, acting as the push service
and the browser at once, for crates/server/tests/webpush.rs.

It makes a P-256 key pair and an auth secret (the subscription's keys,
printed as one JSON line on stdout), listens on 127.0.0.1:PORT and, for each
POST /push/<behaviour>/<name>:
  - checks the VAPID header (RFC 8292): vapid t=JWT, k=key; the JWT's ES256
    signature with k (cryptography), aud = this origin, exp in the future and
    at most 24 h away, sub mailto: or https:;
  - checks Content-Encoding: aes128gcm, TTL and Urgency;
  - decrypts the body with http_ece (RFC 8291 / RFC 8188);
  - answers by behaviour: ok -> 201; gone -> 410; busy -> 429 with
    Retry-After: 1 the first time, then 201;
and appends what it saw to LOG as one JSON line.

usage: webpush_receiver.py PORT LOG
"""

import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


PORT = int(sys.argv[1])
LOG = sys.argv[2]
ORIGIN = f"http://127.0.0.1:{PORT}"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC = PRIVATE.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)
AUTH = os.urandom(16)
SEEN = {}
LOCK = threading.Lock()


def check_vapid(header, problems):
    claims = {}
    if not header.startswith("vapid "):
        problems.append(f"Authorization is not vapid: {header[:20]}")
        return claims
    params = dict(
        part.strip().split("=", 1) for part in header[len("vapid "):].split(",")
    )
    token, key = params.get("t", ""), params.get("k", "")
    try:
        head64, claims64, sig64 = token.split(".")
        head = json.loads(b64d(head64))
        claims = json.loads(b64d(claims64))
        if head.get("alg") != "ES256":
            problems.append(f"alg is {head.get('alg')}")
        signature = b64d(sig64)
        if len(signature) != 64:
            problems.append(f"signature is {len(signature)} bytes, not 64 (r||s)")
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
        public.verify(
            encode_dss_signature(r, s),
            f"{head64}.{claims64}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        problems.append("the JWT signature does not verify with k")
    except Exception as e:  # noqa: BLE001 - every malformation is a finding
        problems.append(f"the JWT does not parse: {e!r}")
        return claims
    now = time.time()
    if claims.get("aud") != ORIGIN:
        problems.append(f"aud is {claims.get('aud')!r}, not {ORIGIN}")
    exp = claims.get("exp", 0)
    if not (now < exp <= now + 24 * 3600):
        problems.append(f"exp {exp} is not within the next 24 h")
    sub = str(claims.get("sub", ""))
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        problems.append(f"sub {sub!r} is not mailto: or https:")
    claims["k"] = key
    return claims


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        behaviour = parts[1] if len(parts) > 1 else "ok"
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        problems = []
        claims = check_vapid(self.headers.get("Authorization", ""), problems)
        if self.headers.get("Content-Encoding") != "aes128gcm":
            problems.append(f"Content-Encoding is {self.headers.get('Content-Encoding')}")
        plaintext = None
        try:
            plaintext = http_ece.decrypt(
                body, private_key=PRIVATE, auth_secret=AUTH, version="aes128gcm"
            ).decode()
        except Exception as e:  # noqa: BLE001
            problems.append(f"the body does not decrypt: {e!r}")
        with LOCK:
            SEEN[self.path] = SEEN.get(self.path, 0) + 1
            count = SEEN[self.path]
        status, headers = 201, {"Location": f"{ORIGIN}/message/{count}"}
        if behaviour == "gone":
            status, headers = 410, {}
        elif behaviour == "busy" and count == 1:
            status, headers = 429, {"Retry-After": "1"}
        record = {
            "path": self.path,
            "attempt": count,
            "answered": status,
            "ttl": self.headers.get("TTL"),
            "urgency": self.headers.get("Urgency"),
            "claims": claims,
            "plaintext": plaintext,
            "problems": problems,
            "at": time.time(),
        }
        with LOCK, open(LOG, "a") as log:
            log.write(json.dumps(record) + "\n")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(json.dumps({"p256dh": b64e(PUBLIC), "auth": b64e(AUTH), "origin": ORIGIN}), flush=True)
server.serve_forever()
