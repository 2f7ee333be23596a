//! Every configuration key, its type, default and documentation, in one
//! table: loading, environment overrides, validation and
//! `countersign config example` all read it, so they cannot disagree.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// A TOML array of strings; in the environment, comma-separated.
    List,
    /// A TOML array of tables (e.g. `[[radius.clients]]`); file only.
    Tables,
}

#[derive(Debug)]
pub struct Key {
    /// `section.key`, or `key` at the top level.
    pub path: &'static str,
    pub kind: Kind,
    /// The default as a TOML literal; `None` when unset by default.
    pub default: Option<&'static str>,
    pub doc: &'static str,
    /// Also read from `COUNTERSIGN_..._FILE`; never printed.
    pub secret: bool,
}

const fn key(
    path: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    doc: &'static str,
) -> Key {
    Key {
        path,
        kind,
        default,
        doc,
        secret: false,
    }
}

pub const SECTIONS: &[(&str, &str)] = &[
    ("", "Where Countersign keeps its files, and where people reach it."),
    (
        "database",
        "The store: SQLite in the data directory by default, or PostgreSQL for several nodes.",
    ),
    ("http", "The HTTP listener for the application API."),
    ("console", "The web admin console at /admin (see docs/console.md)."),
    ("portal", "The self-service user portal at /portal (see docs/portal.md). What users may do there is in the stored settings (console, API, `countersign settings`)."),
    ("tls", "HTTPS served by Countersign itself (TLS 1.2 and 1.3 only). Reloaded on SIGHUP and when the files change."),
    ("log", "Logs go to standard error."),
    (
        "security",
        "The key that encrypts OATH seeds and other secrets at rest.",
    ),
    ("verify", "How codes are checked. lockout_* and allow_method_choice are first values: once saved in the console (or by API or CLI) the stored settings win."),
    (
        "otp",
        "How new OATH tokens are presented to authenticator apps.",
    ),
    ("doctor", "What `countersign doctor` measures against."),
    ("metrics", "Who may read /metrics (Prometheus text). Unset: anyone who reaches http.listen (doctor warns)."),
    ("push", "Push approval with the Countersign authenticator."),
    ("webauthn", "Passkeys (WebAuthn): the relying party they are registered with (see docs/webauthn.md). Which authenticators, attestation and user verification are stored settings (webauthn_*)."),
    ("sso", "Single sign-on at /sso and forward auth for nginx, Traefik and Caddy (see docs/sso.md). Session limits are stored settings (sso_idle_minutes, sso_absolute_hours)."),
    ("web_push", "Web Push (RFC 8030) wakes the authenticator web app (/app) when it is closed, with this server's own VAPID key."),
    ("smtp", "Outgoing mail (welcome emails, codes by email). Off unless host is set."),
    ("sms", "An SMS gateway for codes by text. Off unless gateway is set."),
    ("email", "Welcome emails and message templates."),
    ("codes", "Codes sent by SMS or email."),
    ("radius", "The RADIUS listener (UDP) for VPNs, gateways and Wi-Fi. Off unless listen is set."),
    ("ldap", "The LDAP bind proxy: a second factor in front of applications that sign users in by LDAP bind (see docs/directory.md). Needs [directory]. Off unless listen is set."),
    ("voice", "Phone calls (method `call`, see docs/voice.md): the user answers and presses # (or their PIN and #). Off unless provider is set. A call takes 30-60 s: radius.hold_seconds and ldap.hold_seconds, and the NAS's timeout, must allow it."),
    ("voice.http", "provider = \"http\": a cloud voice provider in the TwiML convention (Twilio, SignalWire, jambonz) places the calls; it fetches the prompt and posts the keys to {public_url}voice/v1/, each callback signed with the auth token (X-Twilio-Signature). Needs public_url."),
    ("voice.sip", "provider = \"sip\": Countersign is a SIP user agent calling through the organisation's PBX or SIP trunk (G.711 RTP, DTMF as RFC 4733 or SIP INFO)."),
    ("limits", "Holding under abuse: rate limits (token buckets in each node's memory, refilled evenly over the minute) on every door where something can be guessed, and the work pool that checks passwords off the async workers. Refusals are answered at once (HTTP 429 with Retry-After) and counted on /metrics (countersign_rate_limited_total, countersign_work_pool_refused_total)."),
    ("directory", "Users from Active Directory or LDAP (see docs/directory.md). Off unless url is set."),
    ("audit", "The audit trail: how long it is kept, and the live stream to a SIEM (see docs/operations.md)."),
    ("audit.syslog", "Every audit record as RFC 5424 syslog to a collector (UDP, TCP or TLS with RFC 5425 octet counting). Off unless address is set."),
    ("audit.file", "Every audit record as a JSON line appended to a file, rotated by size (for Filebeat, Fluent Bit, Vector). Off unless path is set."),
];

pub const KEYS: &[Key] = &[
    key("data_dir", Kind::Str, Some("\"./countersign-data\""),
        "Directory for the SQLite database and the generated encryption key (also --data-dir)."),
    key("public_url", Kind::Str, None,
        "The address users and devices reach, e.g. https://mfa.example.org (activation links, emails, doctor)."),
    key("database.url", Kind::Str, None,
        "sqlite://PATH or postgres://USER@HOST:PORT/DB. Unset: SQLite at DATA_DIR/countersign.db."),
    key("database.max_connections", Kind::Int, Some("16"), "Connections in the pool (1-1000). On PostgreSQL every decision waits for its commit to reach the disk; more connections let more commits share one flush (8 served ~2,200 verifications/s on 2 cores, 16 ~2,700). Keep nodes x this below PostgreSQL's max_connections."),
    key("database.acquire_timeout_seconds", Kind::Int, Some("3"), "How long a request waits for a database connection before it fails with a clear error (1-60). While the database is unreachable every request waits this long: keep it below your RADIUS clients' timeout."),
    key("http.listen", Kind::Str, Some("\"127.0.0.1:8080\""), "Address and port to listen on (also --listen)."),
    key("http.body_limit", Kind::Int, Some("65536"), "Largest request body accepted, in bytes (1024-10485760)."),
    key("http.behind_proxy", Kind::Bool, Some("false"),
        "Set when a reverse proxy terminates TLS in front of Countersign; required to serve plain HTTP on a non-loopback address."),
    key("http.header_read_timeout_seconds", Kind::Int, Some("10"),
        "A client has this long to send a request head, counted from the connection's start or the request's first byte (1-3600)."),
    key("http.idle_timeout_seconds", Kind::Int, Some("75"),
        "A kept-alive connection with no new request for this long is closed (1-86400). Device event streams are not idle while they stream."),
    key("http.body_idle_timeout_seconds", Kind::Int, Some("10"),
        "Once a request head is read, the longest wait for the next bytes of its body while the server reads it; then the connection is closed (1-3600)."),
    key("http.write_idle_timeout_seconds", Kind::Int, Some("30"),
        "The longest an answer may wait for a client that does not read it; then the connection is closed (1-3600). Event streams are exempt."),
    key("http.max_connections_per_address", Kind::Int, Some("256"),
        "Open connections one client address may hold; more are answered 503 (0: no cap). Behind a reverse proxy every client shares the proxy's address: raise it or set 0."),
    key("http.trusted_proxies", Kind::List, Some("[]"),
        "Addresses or CIDR blocks of the proxies whose forwarded client address (http.forwarded_header) is believed."),
    key("http.hsts_max_age_seconds", Kind::Int, Some("31536000"),
        "Strict-Transport-Security max-age sent when browsers come over HTTPS (tls.cert set, or http.behind_proxy with an https public_url), 0-63072000; 0 sends none."),
    key("http.forwarded_header", Kind::Str, Some("\"x-forwarded-for\""),
        "The one header the trusted proxies set the client's address in: x-forwarded-for or forwarded (RFC 7239). The other is ignored: a client can send it through a proxy that does not strip it."),
    key("console.idle_minutes", Kind::Int, Some("30"),
        "A console session unused for this long ends (1-1440)."),
    key("console.absolute_hours", Kind::Int, Some("12"),
        "A console session ends this long after sign-in, however active (1-168)."),
    key("portal.link_days", Kind::Int, Some("7"),
        "How long an enrolment link works (1-90 days); each works once."),
    key("portal.idle_minutes", Kind::Int, Some("15"),
        "A portal session unused for this long ends (1-1440)."),
    key("portal.absolute_hours", Kind::Int, Some("8"),
        "A portal session ends this long after sign-in, however active (1-168)."),
    key("portal.templates", Kind::Str, None,
        "A directory of page templates overriding the portal's built-in ones (same file names, e.g. home.html)."),
    key("tls.cert", Kind::Str, None, "PEM file with the full chain: the server certificate first, then intermediates."),
    key("tls.key", Kind::Str, None, "PEM file with the private key (PKCS#8, RSA or EC)."),
    key("log.level", Kind::Str, Some("\"info\""),
        "error, warn, info, debug or trace; or a filter like \"info,countersign_web=debug\"."),
    key("log.format", Kind::Str, Some("\"text\""), "text or json."),
    Key {
        path: "security.encryption_key",
        kind: Kind::Str,
        default: None,
        doc: "32 bytes, base64. Unset: read from (or generated into) DATA_DIR/encryption.key with mode 0600. \
              Every node sharing a database needs the same key.",
        secret: true,
    },
    key("security.encryption_key_file", Kind::Str, None, "A file holding the key (base64), instead of encryption_key."),
    key("verify.totp_window", Kind::Int, Some("1"), "TOTP time steps accepted either side of now (0-10)."),
    key("verify.hotp_lookahead", Kind::Int, Some("10"), "HOTP counters accepted ahead of the expected one (0-1000)."),
    key("verify.hotp_resync_window", Kind::Int, Some("1000"), "How far ahead a resync with two codes searches (1-100000)."),
    key("verify.lockout_threshold", Kind::Int, Some("10"), "Consecutive failures that lock a user (1-1000)."),
    key("verify.lockout_minutes", Kind::Int, Some("15"), "How long a lockout lasts, in minutes (1-10080)."),
    key("verify.allow_method_choice", Kind::Bool, Some("true"),
        "Doors may name a method other than the user's default (\"allow users to select method\"); when false such requests are refused with method_not_allowed."),
    key("verify.generic_refusals", Kind::Bool, Some("true"),
        "RADIUS, the LDAP proxy and the portal and console sign-in pages tell every refusal before success in the same words (refusal_message), so no answer says whether a name exists, is locked or is disabled; the exact reason stays in the audit trail and the log. false tells the reason."),
    key("verify.refusal_message", Kind::Str, None,
        "The words of those refusals; default \"Sign-in failed. Check your name, password and code and try again; if it keeps failing, ask your administrator.\" (the portal shows its translation)."),
    key("otp.issuer", Kind::Str, Some("\"Countersign\""), "The issuer name authenticator apps show next to the account."),
    key("doctor.ntp_server", Kind::Str, None, "host:port of an NTP server to measure the clock against, e.g. ntp.example.org:123."),
    key("doctor.time_url", Kind::Str, None, "Or an http(s) URL whose Date header gives the time."),
    key("metrics.listen", Kind::Str, None,
        "Serve /metrics on this address:port only (plain HTTP, e.g. an address only the monitoring network reaches); http.listen then answers 404 there."),
    Key {
        path: "metrics.token",
        kind: Kind::Str,
        default: None,
        doc: "/metrics wants Authorization: Bearer <token> (Prometheus: authorization { credentials_file: ... }). Or COUNTERSIGN_METRICS_TOKEN_FILE.",
        secret: true,
    },
    key("webauthn.rp_id", Kind::Str, None,
        "The relying party ID passkeys are bound to, a domain (e.g. example.org); default: the host of public_url (localhost without one). Changing it orphans every passkey."),
    key("webauthn.rp_name", Kind::Str, None, "The name authenticators show; default: push.account_name."),
    key("webauthn.origins", Kind::List, Some("[]"),
        "Web origins allowed to use the RP ID (https, or http on localhost), e.g. [\"https://mfa.example.org\", \"https://app.example.org\"]; empty: public_url's origin."),
    key("sso.cookie_domain", Kind::Str, None,
        "The parent domain the /sso session cookie is sent to (e.g. example.com), so forward auth sees it on every host under it; it must cover public_url's host. Unset: public_url's host only."),
    key("sso.hosts", Kind::Tables, Some("[]"),
        "Hosts behind forward auth that require groups, as [[sso.hosts]] tables: host = \"admin.example.com\", groups = [\"admins\"] (any one of them); other hosts admit every signed-in user."),
    key("push.number_matching", Kind::Bool, Some("true"), "The sign-in screen shows two digits the user picks on the phone (against push fatigue)."),
    key("push.pin_required", Kind::Bool, Some("false"), "Users choose a PIN at activation and prove it for every approval."),
    key("push.per_minute", Kind::Int, Some("3"), "Pushes allowed per user per minute (1-60)."),
    key("push.per_hour", Kind::Int, Some("10"), "Pushes allowed per user per hour (1-1000)."),
    key("push.timeout_seconds", Kind::Int, Some("60"), "How long a push waits for an answer (5-600)."),
    key("push.fraud_blocks_user", Kind::Bool, Some("true"), "A fraud report disables the user until an administrator enables them."),
    key("push.device_limit", Kind::Int, Some("5"), "Devices per user (1-10)."),
    key("push.activation_minutes", Kind::Int, Some("10"), "How long an activation code is valid (1-1440)."),
    key("push.offline_codes", Kind::Bool, Some("true"), "Activation also gives the app a TOTP seed, so it makes codes offline."),
    key("push.account_name", Kind::Str, Some("\"Countersign\""), "The account name the authenticator shows."),
    key("web_push.enabled", Kind::Bool, Some("true"), "Wake the authenticator web app by Web Push (RFC 8030) with this server's own VAPID key; no vendor account."),
    key("web_push.subject", Kind::Str, None, "The VAPID contact push services see (mailto: or https:); default: public_url when https, else mailto:countersign@localhost."),
    key("web_push.allow_http", Kind::Bool, Some("false"), "Tests only: lets the sender post to http:// endpoints (their addresses are still held to allowed_networks)."),
    key("web_push.allowed_networks", Kind::List, Some("[]"),
        "Endpoints at private, loopback, link-local or other internal addresses (literal or resolved) are refused; these addresses or CIDR blocks are let through (a push service inside your network, tests)."),
    key("smtp.host", Kind::Str, None, "The SMTP server, e.g. smtp.example.org."),
    key("smtp.port", Kind::Int, Some("587"), "Its port (587 for starttls, 465 for implicit, 25 for none)."),
    key("smtp.tls", Kind::Str, Some("\"starttls\""), "none, starttls or implicit."),
    key("smtp.username", Kind::Str, None, "Login name, if the server wants one."),
    Key { path: "smtp.password", kind: Kind::Str, default: None, doc: "Its password.", secret: true },
    key("smtp.from", Kind::Str, Some("\"Countersign <countersign@localhost>\""), "The sender of every email."),
    key("sms.gateway", Kind::Str, None, "kannel or http."),
    key("sms.url", Kind::Str, None, "Kannel: the sendsms URL (http://host:13013/cgi-bin/sendsms); http: a template of the gateway URL."),
    key("sms.username", Kind::Str, None, "Kannel: the sendsms-user."),
    Key { path: "sms.password", kind: Kind::Str, default: None, doc: "Kannel: its password.", secret: true },
    key("sms.from", Kind::Str, None, "The sender number or name shown."),
    Key {
        path: "sms.inbound_secret",
        kind: Kind::Str,
        default: None,
        doc: "Two-way SMS: the secret the gateway sends to /api/v1/sms/inbound?from=..&text=.. in the header X-Countersign-Secret (secret= in the URL still works, deprecated and logged: URLs end up in access logs).",
        secret: true,
    },
    key("sms.method", Kind::Str, Some("\"POST\""), "http: the request method."),
    key("sms.headers", Kind::List, Some("[]"), "http: headers as \"Name: value template\" (values may use {{ to }}, {{ text }})."),
    key("sms.body", Kind::Str, None, "http: a body template, e.g. {\"to\": {{ to|tojson }}, \"text\": {{ text|tojson }}}."),
    key("email.welcome", Kind::Bool, Some("true"), "Send welcome and updated-user emails (each user may override it)."),
    key("email.attachments", Kind::List, Some("[]"), "Files attached to welcome emails; checked at start and before each send."),
    key("email.templates", Kind::Str, None, "A directory of templates overriding the built-in ones (welcome.txt, code_sms.txt, ...)."),
    key("codes.validity_minutes", Kind::Int, Some("5"), "How long a texted or emailed code is valid (1-60)."),
    key("codes.max_attempts", Kind::Int, Some("5"), "Wrong entries allowed per code (1-20)."),
    key("codes.pin_mode", Kind::Bool, Some("false"), "Users who have a PIN (countersign user set-pin) enter PIN + code for SMS and email codes."),
    key("codes.per_hour", Kind::Int, Some("10"), "Codes sent per user per hour (1-100), on every path: sign-in codes, two-way SMS and the portal's contact codes."),
    key("codes.per_destination_per_hour", Kind::Int, Some("5"), "Codes one phone number or email address may receive per hour (1-100), whoever asks."),
    key("codes.global_per_hour", Kind::Int, Some("1000"), "Codes the whole server may send per hour (1-1000000): a ceiling on an SMS-pumping bill."),
    key("codes.allowed_country_prefixes", Kind::List, Some("[]"), "Calling codes texts may go to, e.g. [\"+44\", \"+1\"]; empty: every country (doctor warns)."),
    key("verify.rules", Kind::Tables, Some("[]"),
        "Sign-in rules as [[verify.rules]] tables, first match wins: name, groups, doors (portal, console, sso, \
         radius:NAME, ldap:NAME, api:KEY, oidc:NAME, forward:HOST, KIND:*), networks (CIDRs), network_of (user|door), \
         hours (08:00-18:00), time_zone, outcome (allow|deny|skip_second_factor), methods, strength (phishing_resistant), \
         remember_device_days. First values only: rules saved in the console, API or CLI live in the store. docs/policy.md."),
    key("radius.listen", Kind::Str, None, "UDP address to listen on, e.g. 0.0.0.0:1812."),
    key("radius.hold_seconds", Kind::Int, Some("25"), "How long a request is held while a push waits for an answer (1-120); keep it below the client's timeout."),
    key("radius.challenge_seconds", Kind::Int, Some("120"), "How long an Access-Challenge may be answered (10-600)."),
    key("radius.clients", Kind::Tables, Some("[]"),
        "Clients as [[radius.clients]] tables: name, address (IP or CIDR), secret, flow (otp|challenge), \
         first_factor (none|radius), upstream, upstream_secret, require_message_authenticator, \
         upstream_require_message_authenticator (default true; false accepts the upstream's answers without Message-Authenticator, logged), \
         require_user_match (default true; false lets unknown or unenrolled users through as not_enrolled), \
         fallback_otp (default false; a push timeout or no device asks for an OATH code instead). \
         Also `countersign radius client add`."),
    key("ldap.listen", Kind::Str, None, "TCP address to listen on, e.g. 0.0.0.0:636 (ldaps) or 0.0.0.0:389 (starttls)."),
    key("ldap.tls", Kind::Str, Some("\"ldaps\""), "ldaps (TLS from the first byte) or starttls (plain until the client sends StartTLS)."),
    key("ldap.cert", Kind::Str, None, "PEM certificate chain for the proxy; default tls.cert."),
    key("ldap.key", Kind::Str, None, "PEM private key for the proxy; default tls.key."),
    key("ldap.allow_plain", Kind::Bool, Some("false"), "starttls: accept simple binds before StartTLS (passwords in the clear); only on a trusted network."),
    key("ldap.hold_seconds", Kind::Int, Some("25"), "How long a bind is held while a push waits for an answer (1-120); keep it below the application's timeout."),
    key("ldap.idle_minutes", Kind::Int, Some("15"), "Connections idle this long are closed (1-1440)."),
    key("ldap.max_connections", Kind::Int, Some("1024"), "Client connections served at once (1-100000); more are refused."),
    key("ldap.clients", Kind::Tables, Some("[]"),
        "Applications allowed to connect, as [[ldap.clients]] tables: name, address (IP or CIDR), \
         require_user_match (default true; false lets users unknown to Countersign or without a method bind with the directory password alone, as not_enrolled), \
         fallback_otp (default false). Connections from other addresses are closed."),
    key("voice.provider", Kind::Str, None, "sip: place calls over SIP ([voice.sip]); http: through a TwiML provider ([voice.http]); unset: no calls."),
    key("voice.ring_seconds", Kind::Int, Some("30"), "How long the phone may ring before the call counts as unanswered (5-120)."),
    key("voice.key_seconds", Kind::Int, Some("30"), "How long after the answer the keys may take; the prompt repeats meanwhile (5-120)."),
    key("voice.pin_mode", Kind::Bool, Some("true"), "Users who have a PIN enter it and # on the call instead of # alone."),
    key("voice.fraud_code", Kind::Str, Some("\"0#\""), "Keys that report the sign-in as fraud (the push.fraud_blocks_user setting applies); empty: none."),
    key("voice.deny_code", Kind::Str, Some("\"\""), "Keys that deny the sign-in (call_denied), e.g. 9#; empty: none (any keys but # deny)."),
    key("voice.prompts_dir", Kind::Str, None, "Your own recordings replacing built-in prompts: DIR/<lang>/<name>.wav, 8 kHz mono, 16-bit PCM or 8-bit µ-law; account_name.wav says the account name."),
    key("voice.account_name", Kind::Str, None, "The organisation's name the call says first (\"This is ACME.\"); default otp.issuer. Spelled letter by letter unless espeak-ng speaks it or prompts_dir has account_name.wav."),
    key("voice.speak_account_name", Kind::Bool, Some("true"), "Say the account name with espeak-ng when it is installed (found on the PATH at start); else it is spelled."),
    key("voice.sip.trunk", Kind::Str, None, "host:port the INVITEs go to (the PBX or SIP trunk), e.g. 192.0.2.10:5060. A number is dialled as its E.164 digits without the +."),
    key("voice.sip.registrar", Kind::Str, None, "host:port to REGISTER with (digest with username and password); unset: a static peer by address."),
    key("voice.sip.username", Kind::Str, None, "The SIP account's user name (registration and 401/407 digest challenges)."),
    Key { path: "voice.sip.password", kind: Kind::Str, default: None, doc: "The SIP account's password (better: password_file).", secret: true },
    key("voice.sip.password_file", Kind::Str, None, "A file holding the SIP account's password."),
    key("voice.sip.transport", Kind::Str, Some("\"udp\""), "udp, tcp or tls (SIP over TLS to the trunk, its certificate checked for the trunk's host name)."),
    key("voice.sip.ca_file", Kind::Str, None, "With transport tls: a PEM file of the CA certificate(s) the trunk's certificate must chain to; unset: the system's CA store."),
    key("voice.sip.listen", Kind::Str, Some("\"0.0.0.0:5060\""), "The local SIP address (port 0: any free port)."),
    key("voice.sip.public_address", Kind::Str, None, "The IP address to advertise in SIP and SDP when it differs from the local one (1:1 NAT)."),
    key("voice.sip.outbound_proxy", Kind::Str, None, "host:port every request is sent through."),
    key("voice.sip.dial_rewrite", Kind::List, Some("[]"), "Rewrite rules for the dialled number, \"PATTERN => REPLACEMENT\" (regular expression on the number with its +), first match wins, e.g. [\"^\\\\+44 => 9044\"]."),
    key("voice.sip.rtp_ports", Kind::Str, Some("\"10000-20000\""), "UDP ports for RTP, one even port per call."),
    key("voice.sip.codecs", Kind::List, Some("[\"PCMU\", \"PCMA\"]"), "G.711 laws offered, in order of preference."),
    key("voice.sip.caller_id", Kind::Str, None, "The number the callee sees (From's user part); default the username."),
    key("voice.http.api_base", Kind::Str, Some("\"https://api.twilio.com\""), "The provider's REST API; calls are POSTed to {api_base}/2010-04-01/Accounts/{account_sid}/Calls.json (SignalWire: https://SPACE.signalwire.com/api/laml)."),
    key("voice.http.account_sid", Kind::Str, None, "The provider account's SID (the API's basic-auth user)."),
    Key { path: "voice.http.auth_token", kind: Kind::Str, default: None, doc: "The account's auth token: the API's basic-auth password and the key every callback is signed with (better: auth_token_file).", secret: true },
    key("voice.http.auth_token_file", Kind::Str, None, "A file holding the auth token."),
    key("voice.http.from", Kind::Str, None, "The caller id the provider calls from (a number of the account, E.164)."),
    key("limits.hash_workers", Kind::Int, Some("0"),
        "Password hashes (argon2id: portal and console sign-in) checked at once, off the async workers (0-256; 0: one per CPU core)."),
    key("limits.hash_queue", Kind::Int, Some("16"),
        "Password checks that may wait for a worker (0-10000); past that a sign-in is answered 429 (busy) at once."),
    key("limits.directory_binds", Kind::Int, Some("16"),
        "Directory binds (passwords checked against the directory by the portal, RADIUS and the LDAP proxy) at once (1-1000)."),
    key("limits.directory_queue", Kind::Int, Some("32"),
        "Directory binds that may wait (0-10000); past that: HTTP 429, LDAP busy, RADIUS no answer (the NAS retries)."),
    key("limits.signin_per_address", Kind::Int, Some("10"),
        "Password sign-ins a minute from one client address, to the portal and to the console each (0-100000; 0: no limit); more are answered 429 with Retry-After."),
    key("limits.signin_global", Kind::Int, Some("600"),
        "Password sign-ins a minute to the portal and to the console each, from all addresses together, on this node (0: no limit)."),
    key("limits.links_per_address", Kind::Int, Some("10"),
        "Sign-in link (/portal/link/...) requests a minute from one address (0: no limit)."),
    key("limits.links_global", Kind::Int, Some("600"), "Sign-in link requests a minute on this node (0: no limit)."),
    key("limits.activation_per_address", Kind::Int, Some("20"),
        "Device activations (/device/v1/activate) a minute from one address (0: no limit)."),
    key("limits.activation_global", Kind::Int, Some("600"), "Device activations a minute on this node (0: no limit)."),
    key("limits.verify_per_key", Kind::Int, Some("60000"),
        "POST /api/v1/verify a minute per API key on this node (0: no limit); more are answered 429 with Retry-After."),
    key("limits.contact_per_address", Kind::Int, Some("5"),
        "Portal contact changes (a new phone or email, and its confirmation code) a minute from one address (0: no limit)."),
    key("limits.contact_global", Kind::Int, Some("120"), "Portal contact changes a minute on this node (0: no limit)."),
    key("limits.refusal_delay_ms", Kind::Int, Some("1000"),
        "A try refused by a rate limit waits this long (at most its Retry-After) for its 429, holding no thread, so a refused client cannot flood the server with cheap answers (0-10000; 0: at once). A full work pool is always answered at once."),
    key("directory.url", Kind::List, None,
        "One server or a list, tried in order: ldaps://dc1.example.org, or ldap://... (StartTLS unless allow_plain)."),
    key("directory.kind", Kind::Str, Some("\"ad\""),
        "ad (objectGUID, sAMAccountName, userAccountControl, nested groups) or ldap (entryUUID, uid, memberOf)."),
    key("directory.bind_dn", Kind::Str, None, "The service account that searches, e.g. CN=svc-mfa,OU=Service,DC=example,DC=org."),
    Key { path: "directory.bind_password", kind: Kind::Str, default: None, doc: "The service account's password (better: bind_password_file).", secret: true },
    key("directory.bind_password_file", Kind::Str, None, "A file holding the service account's password."),
    key("directory.ca_file", Kind::Str, None, "PEM certificates to trust for the directory's TLS (AD's usually come from a private CA); default: the system's."),
    key("directory.allow_plain", Kind::Bool, Some("false"), "Allow ldap:// without StartTLS (passwords in the clear): only on a trusted network."),
    key("directory.base_dn", Kind::Str, None, "Where users are searched, e.g. DC=example,DC=org."),
    key("directory.user_filter", Kind::Str, None,
        "LDAP filter for user entries; default (&(objectCategory=person)(objectClass=user)) on AD, (objectClass=inetOrgPerson) on LDAP."),
    key("directory.group_dn", Kind::Str, None, "Only members of this group (nested groups followed on AD)."),
    key("directory.id_attribute", Kind::Str, None, "The unique id (default objectGUID on AD, entryUUID on LDAP)."),
    key("directory.username_attribute", Kind::Str, None, "The username (default sAMAccountName on AD, uid on LDAP; userPrincipalName also works)."),
    key("directory.display_name_attribute", Kind::Str, None, "The display name (default displayName on AD, cn on LDAP)."),
    key("directory.email_attribute", Kind::Str, None, "The email address (default mail)."),
    key("directory.phone_attribute", Kind::Str, None, "A phone number (default telephoneNumber), used when there is no mobile."),
    key("directory.mobile_attribute", Kind::Str, None, "The mobile number for texts (default mobile)."),
    key("directory.default_country_code", Kind::Str, None, "Country code for numbers without one, e.g. 44."),
    key("directory.interval_minutes", Kind::Int, Some("15"), "Minutes between syncs (1-1440)."),
    key("directory.on_removal", Kind::Str, Some("\"disable\""), "disable or remove users no longer in the directory or the group."),
    key("directory.approval_threshold", Kind::Int, Some("5"),
        "A run that would disable or remove more users than this waits for `countersign directory sync --approve`."),
    key("directory.timeout_seconds", Kind::Int, Some("10"), "How long one directory operation may take (1-300)."),
    key("directory.page_size", Kind::Int, Some("500"), "Entries per page of a search (10-5000; AD's MaxPageSize is 1000)."),
    key("audit.retention_days", Kind::Int, Some("400"), "Records older than this many days are deleted, a small batch at a time (0-36500; 0 keeps them for ever)."),
    key("audit.queue", Kind::Int, Some("10000"), "Records waiting for a stream before more are counted as dropped (100-10000000); dropped records are re-read from the store."),
    key("audit.syslog.address", Kind::Str, None, "The collector, host:port, e.g. siem.example.org:6514."),
    key("audit.syslog.transport", Kind::Str, Some("\"tcp\""), "udp (RFC 5426; nothing confirms delivery), tcp or tls (RFC 5425 octet-counted frames)."),
    key("audit.syslog.facility", Kind::Str, Some("\"auth\""), "The syslog facility: auth, authpriv, daemon, user, syslog, kern or local0-local7."),
    key("audit.syslog.hostname", Kind::Str, None, "The HOSTNAME field; default: this machine's host name."),
    key("audit.syslog.ca_file", Kind::Str, None, "tls: PEM certificates to trust for the collector; default: the system's."),
    key("audit.syslog.server_name", Kind::Str, None, "tls: the name the collector's certificate must carry; default: the host of address."),
    key("audit.file.path", Kind::Str, None, "The file JSON lines are appended to, e.g. /var/log/countersign/audit.jsonl."),
    key("audit.file.max_mb", Kind::Int, Some("100"), "The file is rotated (to PATH.1, PATH.2 ...) when it would grow past this many MiB (1-1000000)."),
    key("audit.file.keep", Kind::Int, Some("5"), "Rotated files kept (1-1000)."),
];

pub fn find(path: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.path == path)
}

/// `COUNTERSIGN_<SECTION>_<KEY>`, e.g. `COUNTERSIGN_DATABASE_URL`.
pub fn env_name(path: &str) -> String {
    format!("COUNTERSIGN_{}", path.replace('.', "_").to_uppercase())
}

/// The documented configuration file with every key and its default.
pub fn example() -> String {
    let mut out = String::from(
        "# Countersign configuration. Every key can be overridden by the environment\n\
         # variable shown; secrets also by <VARIABLE>_FILE naming a file that holds them.\n\
         # Without any file, Countersign runs on SQLite in the data directory.\n",
    );
    for (section, doc) in SECTIONS {
        out.push('\n');
        out.push_str(&format!("# {doc}\n"));
        if !section.is_empty() {
            out.push_str(&format!("[{section}]\n"));
        }
        for key in KEYS.iter().filter(|k| section_of(k.path) == *section) {
            let name = key.path.rsplit('.').next().unwrap_or(key.path);
            out.push_str(&format!(
                "# {}\n# env: {}{}\n",
                key.doc,
                env_name(key.path),
                if key.secret { " (or _FILE)" } else { "" }
            ));
            match key.default {
                Some(value) => out.push_str(&format!("{name} = {value}\n")),
                None => out.push_str(&format!("# {name} = \"\"\n")),
            }
        }
    }
    out
}

pub fn section_of(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(section, _)| section)
}
