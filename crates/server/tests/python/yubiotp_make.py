"""Makes Yubico OTPs with the independent `yubiotp` package, as a YubiKey
would type them.

Usage: yubiotp_make.py AES_KEY_HEX PRIVATE_ID_HEX PUBLIC_ID USAGE SESSION COUNT
prints COUNT OTPs, one a line: usage counter USAGE, session counters from
SESSION up.
"""

import sys

from yubiotp.otp import YubiKey, encode_otp


def main() -> None:
    key, uid, public = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3].encode()
    usage, session, count = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    # yubiotp calls the usage counter "session" and the session counter "counter".
    device = YubiKey(uid=uid, session=usage, counter=session)
    for _ in range(count):
        print(encode_otp(device.generate(), key, public_id=public).decode())


if __name__ == "__main__":
    main()
