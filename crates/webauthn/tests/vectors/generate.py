#!/usr/bin/env python3
"""Writes vectors.json: WebAuthn registration and assertion responses made by
independent software authenticators, for crates/webauthn/tests/vectors.rs.

- Python `fido2` (Yubico's library): its COSE keys (fido2.cose), its encoders
  of authenticator data, attestation objects and client data
  (fido2.webauthn), with keys from `cryptography`. The authenticator's
  choices (flags, counter, format, what is signed) are made here, so each
  refusal of the verifier has a response that is wrong in one way only and
  otherwise correctly signed.
- `soft-webauthn` (PyPI): a software authenticator as a whole (ES256, none
  attestation, no user verification), used as it is.

Usage (from the repository root):
    python3 -m venv ~/.cache/countersign/venv   # once
    ~/.cache/countersign/venv/bin/pip install fido2 soft-webauthn
    ~/.cache/countersign/venv/bin/python crates/webauthn/tests/vectors/generate.py
Keys and challenges are random: every run writes different, equally valid vectors.
"""
import datetime
import json
import os
import struct
import sys
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID
from fido2 import cbor
from fido2.cose import ES256, ES384, EdDSA, RS256
from fido2.utils import sha256, websafe_encode
from fido2.webauthn import (AttestationObject, AttestedCredentialData,
                            AuthenticatorData, CollectedClientData)
from soft_webauthn import SoftWebauthnDevice

RP_ID = "example.com"
ORIGIN = "https://login.example.com"
F = AuthenticatorData.FLAG
UP, UV, BE, BS, AT = int(F.UP), int(F.UV), int(F.BE), int(F.BS), int(F.AT)
AAGUID = bytes.fromhex("ee882879721c491397753dfcce97072a")  # YubiKey 5 (FIDO metadata)


class Key:
    """A credential key pair: its COSE public key and how it signs."""

    def __init__(self, kind):
        self.kind = kind
        if kind == "es256":
            self.priv = ec.generate_private_key(ec.SECP256R1())
            self.cose = ES256.from_cryptography_key(self.priv.public_key())
        elif kind == "es384":
            self.priv = ec.generate_private_key(ec.SECP384R1())
            self.cose = ES384.from_cryptography_key(self.priv.public_key())
        elif kind == "eddsa":
            self.priv = ed25519.Ed25519PrivateKey.generate()
            self.cose = EdDSA.from_cryptography_key(self.priv.public_key())
        else:
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.cose = RS256.from_cryptography_key(self.priv.public_key())
        self.id = os.urandom(32)

    def sign(self, data):
        if self.kind == "es256":
            return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.kind == "es384":
            return self.priv.sign(data, ec.ECDSA(hashes.SHA384()))
        if self.kind == "eddsa":
            return self.priv.sign(data)
        return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())


def b64(data):
    return websafe_encode(data)


def client_data(kind, challenge, origin=ORIGIN, **extra):
    return CollectedClientData.create(kind, challenge, origin, **extra)


def registration(key, challenge, flags=UP | UV | AT, fmt="none", att_stmt=None, rp_id=RP_ID,
                 kind="webauthn.create", origin=ORIGIN, cd_extra=None, raw_id=None, signer=None):
    cd = client_data(kind, challenge, origin, **(cd_extra or {}))
    cred = AttestedCredentialData.create(AAGUID, key.id, key.cose) if flags & AT else b""
    auth = AuthenticatorData.create(sha256(rp_id.encode()), flags, 0, cred)
    if fmt == "packed" and att_stmt is None:
        signing = signer or key
        att_stmt = {"alg": signing.cose.ALGORITHM, "sig": signing.sign(bytes(auth) + cd.hash)}
        if signer is not None and hasattr(signer, "cert"):
            att_stmt["x5c"] = [signer.cert]
    obj = AttestationObject.create(fmt, auth, att_stmt if att_stmt is not None else {})
    rid = raw_id or key.id
    return {
        "id": b64(rid), "rawId": b64(rid), "type": "public-key",
        "response": {"clientDataJSON": b64(bytes(cd)), "attestationObject": b64(bytes(obj)),
                     "transports": ["usb", "nfc"]},
        "authenticatorAttachment": "cross-platform",
        "clientExtensionResults": {"credProps": {"rk": True}},
    }


def assertion(key, challenge, counter, flags=UP | UV, rp_id=RP_ID, kind="webauthn.get",
              origin=ORIGIN, user_handle=None, tamper=False):
    cd = client_data(kind, challenge, origin)
    auth = bytes(AuthenticatorData.create(sha256(rp_id.encode()), flags, counter))
    sig = key.sign(auth + cd.hash + (b"x" if tamper else b""))
    return {
        "id": b64(key.id), "rawId": b64(key.id), "type": "public-key",
        "response": {"clientDataJSON": b64(bytes(cd)), "authenticatorData": b64(auth),
                     "signature": b64(sig),
                     "userHandle": b64(user_handle) if user_handle else None},
        "clientExtensionResults": {},
    }


def attestation_signer():
    """A packed attestation key with a self-made certificate (as an authenticator vendor's)."""
    signer = Key("es256")
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Vendor"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Test Attestation"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "SE")])
    now = datetime.datetime(2025, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(signer.priv.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(signer.priv, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding
    signer.cert = cert.public_bytes(Encoding.DER)
    return signer


def reg_case(out, name, key, expect, policy=None, **kw):
    challenge = os.urandom(32)
    out.append({"name": name, "challenge": b64(challenge), "policy": policy or {},
                "response": registration(key, challenge, **kw), "expect": expect})


def registrations(keys):
    out = []
    for kind in ("es256", "eddsa", "rs256"):
        reg_case(out, f"{kind}_none", keys[kind], "ok")
    synced = keys["synced"]
    reg_case(out, "es256_synced_passkey", synced, "ok", flags=UP | UV | AT | BE | BS)
    reg_case(out, "es256_packed_self", Key("es256"), "ok", fmt="packed")
    reg_case(out, "eddsa_packed_self", Key("eddsa"), "ok", fmt="packed")
    reg_case(out, "es256_packed_x5c", Key("es256"), "ok", {"attestation": "direct"},
             fmt="packed", signer=attestation_signer())
    k = Key("es256")
    reg_case(out, "aaguid_allowed", k, "ok", {"aaguid_allow_list": [str(uuid.UUID(bytes=AAGUID))]})
    reg_case(out, "aaguid_not_allowed", k, "AaguidNotAllowed",
             {"aaguid_allow_list": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]})
    reg_case(out, "uv_missing", k, "UserVerificationMissing", flags=UP | AT)
    reg_case(out, "uv_missing_but_preferred", k, "ok", {"user_verification": "preferred"}, flags=UP | AT)
    reg_case(out, "up_missing", k, "UserPresenceMissing", flags=UV | AT)
    reg_case(out, "at_missing", k, "AttestedCredentialMissing", flags=UP | UV, fmt="none")
    reg_case(out, "backup_state_without_eligibility", k, "BackupStateWithoutEligibility", flags=UP | UV | AT | BS)
    reg_case(out, "wrong_origin", k, "WrongOrigin", origin="https://login.example.com.evil.test")
    reg_case(out, "wrong_type", k, "WrongType", kind="webauthn.get")
    reg_case(out, "wrong_rp_id", k, "WrongRpIdHash", rp_id="evil.test")
    reg_case(out, "cross_origin", k, "CrossOrigin", cd_extra={"crossOrigin": True, "topOrigin": "https://evil.test"})
    reg_case(out, "id_mismatch", k, "CredentialIdMismatch", raw_id=os.urandom(32))
    reg_case(out, "es384_not_accepted", Key("es384"), "UnsupportedAlgorithm")
    reg_case(out, "packed_self_bad_signature", k, "InvalidAttestation", fmt="packed",
             att_stmt={"alg": -7, "sig": k.sign(b"something else")})
    reg_case(out, "none_with_statement", k, "InvalidAttestation", att_stmt={"sig": b"x"})
    reg_case(out, "tpm_when_none_asked", k, "ok", fmt="tpm", att_stmt={"ver": "2.0"})
    reg_case(out, "tpm_when_direct_asked", k, "UnsupportedAttestationFormat", {"attestation": "direct"},
             fmt="tpm", att_stmt={"ver": "2.0"})
    # A response to another ceremony's challenge.
    stale = registration(k, os.urandom(32))
    out.append({"name": "challenge_mismatch", "challenge": b64(os.urandom(32)), "policy": {},
                "response": stale, "expect": "ChallengeMismatch"})
    return out


def auth_case(out, name, register, key, expect, stored=0, counter=1, policy=None, expected_handle=None, **kw):
    challenge = os.urandom(32)
    out.append({"name": name, "register": register, "stored_sign_count": stored,
                "expected_user_handle": b64(expected_handle) if expected_handle else None,
                "challenge": b64(challenge), "policy": policy or {},
                "response": assertion(key, challenge, counter, **kw), "expect": expect})


def authentications(keys, handle):
    out = []
    for kind in ("es256", "eddsa", "rs256"):
        auth_case(out, f"{kind}_ok", f"{kind}_none", keys[kind], "ok")
    es = keys["es256"]
    auth_case(out, "discoverable_with_user_handle", "es256_none", es, "ok",
              user_handle=handle, expected_handle=handle)
    auth_case(out, "user_handle_mismatch", "es256_none", es, "UserHandleMismatch",
              user_handle=os.urandom(16), expected_handle=handle)
    auth_case(out, "synced_passkey_counter_zero", "es256_synced_passkey", keys["synced"], "ok",
              counter=0, flags=UP | UV | BE | BS)
    auth_case(out, "synced_passkey_not_backed_up_now", "es256_synced_passkey", keys["synced"], "ok",
              counter=0, flags=UP | UV | BE)
    auth_case(out, "backup_eligibility_changed", "es256_none", es, "BackupEligibilityChanged",
              flags=UP | UV | BE)
    auth_case(out, "counter_increases", "es256_none", es, "ok", stored=41, counter=42)
    auth_case(out, "counter_backwards", "es256_none", es, "CounterWentBackwards", stored=42, counter=41)
    auth_case(out, "counter_equal", "es256_none", es, "CounterWentBackwards", stored=42, counter=42)
    auth_case(out, "counter_reset_to_zero", "es256_none", es, "CounterWentBackwards", stored=42, counter=0)
    auth_case(out, "bad_signature", "es256_none", es, "BadSignature", tamper=True)
    auth_case(out, "bad_signature_eddsa", "eddsa_none", keys["eddsa"], "BadSignature", tamper=True)
    auth_case(out, "bad_signature_rs256", "rs256_none", keys["rs256"], "BadSignature", tamper=True)
    auth_case(out, "signed_by_another_key", "es256_none", Key("es256"), "CredentialIdMismatch")
    auth_case(out, "wrong_origin", "es256_none", es, "WrongOrigin", origin="https://example.org")
    auth_case(out, "wrong_type", "es256_none", es, "WrongType", kind="webauthn.create")
    auth_case(out, "wrong_rp_id", "es256_none", es, "WrongRpIdHash", rp_id="login.example.com")
    auth_case(out, "uv_missing", "es256_none", es, "UserVerificationMissing", flags=UP)
    auth_case(out, "up_missing", "es256_none", es, "UserPresenceMissing", flags=UV)
    other = assertion(es, os.urandom(32), 1)
    out.append({"name": "challenge_mismatch", "register": "es256_none", "stored_sign_count": 0,
                "expected_user_handle": None, "challenge": b64(os.urandom(32)), "policy": {},
                "response": other, "expect": "ChallengeMismatch"})
    return out


def soft_webauthn():
    """A registration and two sign-ins by soft-webauthn, untouched."""
    device = SoftWebauthnDevice()
    handle = os.urandom(16)
    c1, c2, c3 = os.urandom(32), os.urandom(32), os.urandom(32)
    create = {"publicKey": {"rp": {"id": RP_ID, "name": "Countersign"},
                            "user": {"id": handle, "name": "alice", "displayName": "Alice"},
                            "challenge": c1, "pubKeyCredParams": [{"alg": -7, "type": "public-key"}],
                            "attestation": "none"}}
    reg = device.create(create, ORIGIN)
    gets = [device.get({"publicKey": {"rpId": RP_ID, "challenge": c}}, ORIGIN) for c in (c2, c3)]

    def to_json(cred):
        return {"id": b64(cred["rawId"]), "rawId": b64(cred["rawId"]), "type": cred["type"],
                "response": {k: (b64(v) if isinstance(v, bytes) else v) for k, v in cred["response"].items()},
                "clientExtensionResults": {}}
    return {"user_handle": b64(handle), "registration": {"challenge": b64(c1), "response": to_json(reg)},
            "assertions": [{"challenge": b64(c), "response": to_json(g)} for c, g in zip((c2, c3), gets)]}


def main():
    keys = {k: Key(k) for k in ("es256", "eddsa", "rs256")}
    keys["synced"] = Key("es256")
    handle = os.urandom(16)
    doc = {"generator": "crates/webauthn/tests/vectors/generate.py (python fido2 + cryptography, soft-webauthn)",
           "rp_id": RP_ID, "origins": [ORIGIN], "user_handle": b64(handle),
           "registrations": registrations(keys), "authentications": authentications(keys, handle),
           "soft_webauthn": soft_webauthn()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(doc['registrations'])} registrations, "
          f"{len(doc['authentications'])} assertions, soft-webauthn 1 + 2", file=sys.stderr)


if __name__ == "__main__":
    main()
