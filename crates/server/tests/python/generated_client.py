"""Uses the client openapi-python-client generated from /api/v1/openapi.json:
creates a user, gives them a TOTP token (algorithm and type spelled as in
otpauth URIs), and verifies a code made here with the standard library.

Usage: generated_client.py BASE_URL API_KEY (the generated package
`countersign_client` on PYTHONPATH). Prints "accepted" and exits 0 on success.
"""

import base64
import hashlib
import hmac
import struct
import sys
import time

from countersign_client import AuthenticatedClient
from countersign_client.api.tokens import create_token
from countersign_client.api.users import create_user, get_user
from countersign_client.api.verify import verify
from countersign_client.models import CreateToken, CreateUser, TokenView, UserView, VerifyRequest, VerifyResponse

SECRET = b"12345678901234567890123456789012"


def totp(secret: bytes, now: float) -> str:
    counter = struct.pack(">Q", int(now) // 30)
    digest = hmac.new(secret, counter, hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def main() -> int:
    base, key = sys.argv[1], sys.argv[2]
    client = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)
    user = create_user.sync(client=client, body=CreateUser(username="gen-client", email="gen@example.org"))
    assert isinstance(user, UserView), user
    shown = get_user.sync("gen-client", client=client)
    assert isinstance(shown, UserView) and shown.email == "gen@example.org", shown
    secret = base64.b32encode(SECRET).decode()
    body = CreateToken(type_="TOTP", algorithm="SHA256", secret=secret, digits=6, period=30)
    token = create_token.sync("gen-client", client=client, body=body)
    assert isinstance(token, TokenView) and token.algorithm == "SHA256", token
    answer = verify.sync(client=client, body=VerifyRequest(username="gen-client", code=totp(SECRET, time.time())))
    assert isinstance(answer, VerifyResponse), answer
    print(answer.result)
    return 0 if answer.result == "accepted" else 1


if __name__ == "__main__":
    sys.exit(main())
