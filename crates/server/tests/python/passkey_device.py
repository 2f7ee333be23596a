#!/usr/bin/env python3
"""An independent WebAuthn client for crates/server/tests/passkeys_api.rs:
the PyPI `soft-webauthn` software authenticator (built on Python `fido2`
and `cryptography`), driven over JSON lines on stdin/stdout.

Each request is one JSON object on a line; each answer one line:
  {"op": "create", "options": <PublicKeyCredentialCreationOptionsJSON>, "origin": "..."}
      -> RegistrationResponseJSON
  {"op": "get", "options": <PublicKeyCredentialRequestOptionsJSON>, "origin": "..."}
      -> AuthenticationResponseJSON (the device's counter moves on by one)
  {"op": "set_count", "count": N}   -> {"count": N}   (the next assertion carries N + 1)
The JSON shapes (base64url without padding) are the browser's toJSON().
"""
import base64
import json
import sys

from soft_webauthn import SoftWebauthnDevice


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def create(device, options, origin):
    public_key = dict(options)
    public_key["challenge"] = b64d(options["challenge"])
    public_key["user"] = dict(options["user"], id=b64d(options["user"]["id"]))
    public_key["pubKeyCredParams"] = [
        {"alg": p["alg"], "type": p["type"]} for p in options["pubKeyCredParams"]
    ]
    made = device.create({"publicKey": public_key}, origin)
    return {
        "id": b64e(made["rawId"]),
        "rawId": b64e(made["rawId"]),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64e(made["response"]["clientDataJSON"]),
            "attestationObject": b64e(made["response"]["attestationObject"]),
            "transports": ["usb"],
        },
        "clientExtensionResults": {},
    }


def get(device, options, origin):
    public_key = dict(options, challenge=b64d(options["challenge"]))
    made = device.get({"publicKey": public_key}, origin)
    response = made["response"]
    return {
        "id": b64e(made["rawId"]),
        "rawId": b64e(made["rawId"]),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64e(response["clientDataJSON"]),
            "authenticatorData": b64e(response["authenticatorData"]),
            "signature": b64e(response["signature"]),
            "userHandle": b64e(response["userHandle"]),
        },
        "clientExtensionResults": {},
    }


def main():
    device = SoftWebauthnDevice()
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "create":
            answer = create(device, request["options"], request["origin"])
        elif op == "get":
            answer = get(device, request["options"], request["origin"])
        elif op == "set_count":
            device.sign_count = request["count"]
            answer = {"count": device.sign_count}
        else:
            answer = {"error": f"unknown op {op}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
