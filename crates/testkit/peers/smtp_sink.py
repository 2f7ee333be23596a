"""An SMTP sink for the mail tests (countersign-testkit's SmtpSink), on aiosmtpd.

  smtp_sink.py serve PORT OUTDIR [--user U --password P] [--starttls CERT KEY] [--implicit CERT KEY]
      Accepts mail on 127.0.0.1:PORT and writes each message to OUTDIR/N.eml and
      its envelope to OUTDIR/N.json. Recipients at rejected.example get
      "550 5.1.1", at later.example "451 4.3.0". With --user, AUTH is required
      (PLAIN/LOGIN, also without TLS). Prints "ready" when it accepts connections.
  smtp_sink.py parse FILE
      Parses a saved message with Python's email package and prints JSON:
      headers, defects, and every MIME part (type, disposition, filename,
      content-id, decoded text or base64 payload).
"""
import base64, json, os, signal, ssl, sys, threading, warnings

warnings.simplefilter("ignore")


def serve(argv):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    import argparse
    ap = argparse.ArgumentParser(prog="smtp_sink.py serve")
    ap.add_argument("port", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--implicit", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args(argv)
    port, outdir, user, password = args.port, args.outdir, args.user, args.password

    class Handler:
        count = 0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.endswith("@rejected.example"):
                return "550 5.1.1 <%s>: no such user here" % address
            if address.endswith("@later.example"):
                return "451 4.3.0 mailbox busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            Handler.count += 1
            base = os.path.join(outdir, str(Handler.count))
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            with open(base + ".json", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "tls": session.ssl is not None,
                           "authenticated": bool(session.authenticated)}, f)
            os.rename(base + ".eml.tmp", base + ".eml")
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    def context(paths):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(paths[0], paths[1])
        return ctx

    kwargs = {}
    if user:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    if args.starttls:
        kwargs.update(tls_context=context(args.starttls), require_starttls=False)
    if args.implicit:
        kwargs.update(ssl_context=context(args.implicit))
    controller = Controller(Handler(), hostname="127.0.0.1", port=port,
                            server_hostname="sink.countersign.test", **kwargs)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    controller.stop()


def parse(argv):
    import email
    from email import policy

    with open(argv[0], "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    parts = []
    defects = [str(d) for d in msg.defects]
    for part in msg.walk():
        defects += [str(d) for d in part.defects]
        info = {"content_type": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "filename": part.get_filename(),
                "content_id": part.get("Content-ID"),
                "transfer_encoding": part.get("Content-Transfer-Encoding")}
        if not part.is_multipart():
            if part.get_content_maintype() == "text":
                info["text"] = part.get_content()
            else:
                info["base64"] = base64.b64encode(part.get_payload(decode=True)).decode()
        parts.append(info)
    print(json.dumps({"subject": str(msg["Subject"]), "to": str(msg["To"]), "from": str(msg["From"]),
                      "mime_version": msg["MIME-Version"], "date": msg["Date"],
                      "message_id": msg["Message-ID"], "defects": defects, "parts": parts}))


if __name__ == "__main__":
    {"serve": serve, "parse": parse}[sys.argv[1]](sys.argv[2:])
