# Copied from shared/recipes/sip.sh (verified recipes for baresip, SIPp and Kamailio);
# kept here so the tests run from a clone alone. Used by tests/common/mod.rs.
# One change: the SIPp UAS scenario waits for the BYE right after its last key
# (no trailing pause), because Countersign hangs up as soon as '#' arrives and
# SIPp aborts a call on a BYE that comes during a pause ("unexpected BYE").
# And sip_sipp_uas_start takes --tcp (SIPp -t t1 instead of -t u1).
# sip.sh -- real SIP peers for testing a phone-call second factor, loopback only.
#
#   source sip.sh        (bash; needs: baresip-core sip-tester kamailio tcpdump sox espeak-ng)
#
# Peers (each start function runs its process in the background, writes a PID
# file into the instance directory you pass, and has a matching stop function):
#   sip_phone_start / sip_phone_stop        baresip 1.0.0 "phone" (or caller) + a ctrl_tcp agent
#   sip_kamailio_start / sip_kamailio_stop  Kamailio 5.6 registrar/proxy, usrloc in memory
#   sip_sipp_uas_start / sip_sipp_stop      SIPp 3.6 UAS: 200 OK + SDP, RFC 4733 DTMF (pcap) or SIP INFO
#   sip_sipp_uac_start / sip_sipp_stop      SIPp built-in "uac" scenario, N concurrent calls
#   sip_capture_start / sip_capture_stop    tcpdump -i lo
#   sip_stop_all DIR                        stop everything started under DIR (for an EXIT trap)
# Checks (foreground, no process left behind):
#   sip_pcap_dtmf PCAP [PT]   RFC 4733 events found in a capture
#   sip_wav_rms WAV           RMS amplitude of a recorded WAV (sox stat)
# Every address is 127.0.0.1 and every port is picked free at run time.
# See SIP.md next to this file for the recipe, the verified output and the caveats.

SIP_SIPP_PCAP_DIR=${SIP_SIPP_PCAP_DIR:-/usr/share/sip-tester}
# The real interpreter, not a wrapper such as a pyenv shim (a shim is a shell that keeps
# python as its child, so its PID would be the wrong one to stop).
SIP_PYTHON=${SIP_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}

# ---------------------------------------------------------------- generic helpers

# sip_free_port : a port P with UDP P, TCP P and TCP P+1 all free on 127.0.0.1.
# (baresip binds UDP+TCP on its sip_listen port and TLS on port+1.)
sip_free_port() {
  python3 - <<'EOF'
import socket
def free(p):
    socks = []
    try:
        for kind, port in ((socket.SOCK_DGRAM, p), (socket.SOCK_STREAM, p), (socket.SOCK_STREAM, p + 1)):
            s = socket.socket(socket.AF_INET, kind); socks.append(s); s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in socks: s.close()
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; u.close()
    if p < 65534 and free(p):
        print(p); break
EOF
}

# sip_free_port_pair : an even UDP port P with P and P+1 free (RTP/RTCP for SIPp -mp).
sip_free_port_pair() {
  python3 - <<'EOF'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; u.close()
    p -= p % 2
    try:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", p))
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass
EOF
}

# _sip_pid_alive PIDFILE
_sip_pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# _sip_stop_pidfile PIDFILE : SIGTERM the PID in the file, wait up to 5 s, then SIGKILL; remove the file.
# The PID is only signalled while it still runs the program the file is named after
# (baresip.pid -> baresip, agent.pid -> python3, ...), so a recycled PID is never hit.
_sip_stop_pidfile() {
  local f=$1 p want comm
  [ -s "$f" ] || { rm -f "$f"; return 0; }
  p=$(cat "$f")
  case $(basename "$f") in
    baresip.pid) want=baresip;; agent.pid) want=python;; kamailio.pid) want=kamailio;;
    sipp.pid) want=sipp;; tcpdump.pid) want=tcpdump;; *) want="";;
  esac
  comm=$(ps -o comm= -p "$p" 2>/dev/null)
  if [ -z "$comm" ] || [ "${comm#"$want"}" = "$comm" -a -n "$want" ]; then rm -f "$f"; return 0; fi
  kill "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  rm -f "$f"
}

# _sip_spawn DIR NAME CMD... : run CMD in the background; DIR/NAME.pid gets CMD's own PID and,
# once it exits, DIR/NAME.rc its exit code (a small bash parent waits for it). Works from $(...).
_sip_spawn() {
  local dir=$1 name=$2; shift 2
  rm -f "$dir/$name.pid" "$dir/$name.rc"
  ( "$@" & echo $! > "$dir/$name.pid.tmp"; mv "$dir/$name.pid.tmp" "$dir/$name.pid"
    wait $!; echo $? > "$dir/$name.rc" ) < /dev/null > /dev/null 2>&1 &
  local end=$((SECONDS + 5))
  until [ -s "$dir/$name.pid" ]; do (( SECONDS < end )) || return 1; sleep 0.05; done
}

# sip_stop_all DIR : stop every process that a function of this file started under DIR
# (it reads the *.pid files there, deepest first). Handy in `trap 'sip_stop_all "$T"' EXIT`.
sip_stop_all() {
  local f
  [ -d "$1" ] || return 0
  while IFS= read -r f; do _sip_stop_pidfile "$f"; done < <(find "$1" -name '*.pid' -type f | sort -r)
}

# sip_wait_match FILE REGEX [TIMEOUT_S=10] : wait until a line of FILE matches REGEX (grep -E); print it.
sip_wait_match() {
  local f=$1 re=$2 end=$((SECONDS + ${3:-10}))
  until grep -E -m1 -- "$re" "$f" 2>/dev/null; do
    (( SECONDS < end )) || { echo "timeout waiting for /$re/ in $f" >&2; return 1; }
    sleep 0.1
  done
}

# ---------------------------------------------------------------- audio files

# sip_make_prompt_wav OUT.wav "TEXT" : espeak-ng speech, converted to 8 kHz mono s16 (what aufile/PCMU need).
sip_make_prompt_wav() {
  local out=$1 text=$2 tmp=$1.tts.wav
  espeak-ng -w "$tmp" "$text" && sox "$tmp" -r 8000 -c 1 -b 16 -e signed-integer "$out"
  local rc=$?; rm -f "$tmp"; return $rc
}

# sip_make_tone_wav OUT.wav SECONDS [FREQ=440] [VOL=0.1] : 8 kHz mono s16 sine.
sip_make_tone_wav() {
  sox -n -r 8000 -c 1 -b 16 -e signed-integer "$1" synth "$2" sine "${3:-440}" vol "${4:-0.1}"
}

# sip_make_silence_wav OUT.wav SECONDS
sip_make_silence_wav() { sox -n -r 8000 -c 1 -b 16 -e signed-integer "$1" trim 0 "$2"; }

# sip_wav_rms WAV : print the RMS amplitude (0..1) as sox's `stat` computes it.
sip_wav_rms() { sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ {print $3}'; }

# sip_wav_audible WAV [MIN_RMS=0.01] : succeed if the WAV's RMS amplitude is at least MIN_RMS.
sip_wav_audible() {
  local rms; rms=$(sip_wav_rms "$1")
  [ -n "$rms" ] && python3 -c "import sys; sys.exit(0 if float('$rms') >= float('${2:-0.01}') else 1)"
}

# ---------------------------------------------------------------- baresip phone

# The agent keeps the ONE ctrl_tcp connection baresip 1.0.0 allows (a new
# connection replaces the old one, and events only go to the newest), logs every
# event/response to DIR/events.jsonl, applies the answer/DTMF/hangup policy, and
# forwards lines written to DIR/cmd.fifo ("sndcode 1234#", "hangup", "dial URI").
_sip_write_agent() {
  cat > "$1" <<'EOF'
import argparse, json, os, select, socket, sys, time
ap = argparse.ArgumentParser()
ap.add_argument("--ctrl", type=int, required=True)
ap.add_argument("--events", required=True)
ap.add_argument("--fifo", required=True)
ap.add_argument("--answer", default="accept", choices=["accept", "reject", "ignore"])
ap.add_argument("--answer-after", type=int, default=0)
ap.add_argument("--dtmf", default="")
ap.add_argument("--dtmf-after", type=int, default=1000)
ap.add_argument("--hangup-after", type=int, default=-1)
ap.add_argument("--dial", default="")
ap.add_argument("--uanew", default="")
a = ap.parse_args()

log = open(a.events, "a", buffering=1)
def note(obj):
    obj = dict(obj); obj["t"] = round(time.time(), 3)
    log.write(json.dumps(obj) + "\n")

end = time.time() + 10
while True:
    try:
        s = socket.create_connection(("127.0.0.1", a.ctrl), timeout=1); break
    except OSError:
        if time.time() > end: sys.exit("agent: cannot connect to ctrl_tcp")
        time.sleep(0.1)
s.setblocking(False)
note({"agent": "connected"})

fd = os.open(a.fifo, os.O_RDWR | os.O_NONBLOCK)   # O_RDWR: never sees EOF
timers = []                                        # (due, command, params)
def later(ms, command, params=None):
    timers.append((time.time() + ms / 1000.0, command, params))
def send(command, params=None):
    m = {"command": command, "token": command}
    if params: m["params"] = params
    b = json.dumps(m).encode()
    s.sendall(str(len(b)).encode() + b":" + b + b",")
    note({"agent": "sent", "command": command, "params": params})

if a.uanew:
    later(0, "uanew", a.uanew)
if a.dial:
    later(0, "dial", a.dial)

buf, fbuf = b"", b""
while True:
    now = time.time()
    for t in sorted([t for t in timers if t[0] <= now]):
        timers.remove(t); send(t[1], t[2])
    wait = min([t[0] for t in timers], default=now + 1) - now
    r, _, _ = select.select([s, fd], [], [], max(0.0, min(wait, 1.0)))
    if fd in r:
        fbuf += os.read(fd, 4096)
        while b"\n" in fbuf:
            line, fbuf = fbuf.split(b"\n", 1)
            parts = line.decode().strip().split(None, 1)
            if parts: send(parts[0], parts[1] if len(parts) > 1 else None)
    if s in r:
        d = s.recv(65536)
        if not d:
            note({"agent": "baresip closed the connection"}); break
        buf += d
        while True:                                # netstring: LEN ":" JSON ","
            i = buf.find(b":")
            if i <= 0: break
            n = int(buf[:i])
            if len(buf) < i + 2 + n: break
            m = json.loads(buf[i + 1:i + 1 + n]); buf = buf[i + 2 + n:]
            note(m)
            ev = m.get("type") if m.get("event") else None
            if ev == "CALL_INCOMING":
                if a.answer == "accept": later(a.answer_after, "accept")
                elif a.answer == "reject": later(a.answer_after, "hangup")
            elif ev == "CALL_ESTABLISHED":
                if a.dtmf: later(a.dtmf_after, "sndcode", a.dtmf)
                if a.hangup_after >= 0: later(a.hangup_after, "hangup")
EOF
}

# sip_phone_start DIR [options] : baresip as a phone (callee) or caller, plus its agent.
#   --user NAME          SIP user part (default: phone)
#   --port P             SIP UDP port (default: free port)
#   --answer MODE        accept (default) | reject (486 Rejected) | ignore (180 Ringing forever)
#   --answer-after MS    delay before accept/reject (default 0)
#   --dtmf DIGITS        send these digits (RFC 4733) after the call is established, e.g. "#", "0#", "1234#"
#   --dtmf-after MS      delay from CALL_ESTABLISHED to the digits (default 1000)
#   --hangup-after MS    hang up MS after CALL_ESTABLISHED (default: never; the call also ends
#                        when the --source WAV runs out: baresip's aufile closes the call at EOF)
#   --source WAV         the "microphone": 8 kHz mono s16 WAV (default: 60 s quiet 440 Hz tone)
#   --codecs LIST        audio_codecs account param (default: PCMU,PCMA)
#   --registrar H:P      register as sip:USER@H:P (e.g. to Kamailio); --password PW for digest auth
#   --dial URI           act as caller: dial URI once up
#   --sip-trace          baresip -s (SIP messages into DIR/baresip.log)
# Writes DIR/{config,accounts,contacts,sip_port,ctrl_port,uri,baresip.pid,agent.pid,baresip.log,
# events.jsonl,cmd.fifo} and records audio to DIR/rec/dump-<time>-{dec,enc}.wav (dec = what it heard).
# Prints the phone's SIP URI.
sip_phone_start() {
  local dir=$1; shift
  local user=phone port="" answer=accept answer_after=0 dtmf="" dtmf_after=1000 hangup_after=-1
  local source="" codecs=PCMU,PCMA registrar="" password="" dial="" trace=""
  while [ $# -gt 0 ]; do
    case $1 in
      --user) user=$2; shift 2;;            --port) port=$2; shift 2;;
      --answer) answer=$2; shift 2;;        --answer-after) answer_after=$2; shift 2;;
      --dtmf) dtmf=$2; shift 2;;            --dtmf-after) dtmf_after=$2; shift 2;;
      --hangup-after) hangup_after=$2; shift 2;;
      --source) source=$2; shift 2;;        --codecs) codecs=$2; shift 2;;
      --registrar) registrar=$2; shift 2;;  --password) password=$2; shift 2;;
      --dial) dial=$2; shift 2;;            --sip-trace) trace=-s; shift;;
      *) echo "sip_phone_start: unknown option $1" >&2; return 2;;
    esac
  done
  mkdir -p "$dir/rec" || return 1
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(sip_free_port)
  local ctrl; ctrl=$(sip_free_port)
  if [ -z "$source" ]; then source=$dir/mic.wav; sip_make_tone_wav "$source" 60 440 0.05 || return 1; fi
  cat > "$dir/config" <<EOF
poll_method	epoll
sip_listen	127.0.0.1:$port
net_interface	127.0.0.1
dns_server	127.0.0.1:53
call_local_timeout	120
call_max_calls	4
audio_path	/usr/share/baresip
audio_player	aubridge,nil
audio_source	aufile,$source
audio_alert	aubridge,nil
rtp_ports	20000-29999
module_path	/usr/lib/baresip/modules
module	g711.so
module	aufile.so
module	aubridge.so
module	sndfile.so
module_tmp	account.so
module_app	menu.so
module_app	ctrl_tcp.so
ctrl_tcp_listen	127.0.0.1:$ctrl
snd_path	$dir/rec
statmode_default	off
EOF
  local acc uanew=""
  if [ -n "$registrar" ]; then
    acc="<sip:$user@$registrar>;regint=600"
  else
    acc="<sip:$user@127.0.0.1:$port>;regint=0"       # regint=0: no REGISTER, just listen
  fi
  [ -n "$password" ] && acc="$acc;auth_pass=$password"   # answers 401 and 407 challenges
  acc="$acc;answermode=manual;audio_codecs=$codecs"
  if [ -n "$registrar" ]; then
    # Registering account: created by the agent with "uanew" once it is connected, so the
    # REGISTER_OK / REGISTER_FAIL events reach events.jsonl (startup ones would be lost).
    : > "$dir/accounts"; uanew=$acc
  else
    echo "$acc" > "$dir/accounts"
  fi
  : > "$dir/contacts"; : > "$dir/events.jsonl"
  echo "$port" > "$dir/sip_port"; echo "$ctrl" > "$dir/ctrl_port"
  echo "sip:$user@127.0.0.1:$port" > "$dir/uri"
  rm -f "$dir/cmd.fifo"; mkfifo "$dir/cmd.fifo"
  _sip_write_agent "$dir/agent.py"
  baresip -f "$dir" $trace < /dev/null > "$dir/baresip.log" 2>&1 &
  echo $! > "$dir/baresip.pid"
  "$SIP_PYTHON" "$dir/agent.py" --ctrl "$ctrl" --events "$dir/events.jsonl" --fifo "$dir/cmd.fifo" \
    --answer "$answer" --answer-after "$answer_after" --dtmf "$dtmf" --dtmf-after "$dtmf_after" \
    --hangup-after "$hangup_after" --dial "$dial" --uanew "$uanew" > "$dir/agent.log" 2>&1 &
  echo $! > "$dir/agent.pid"
  sip_wait_match "$dir/events.jsonl" '"agent": "connected"' 10 > /dev/null || { sip_phone_stop "$dir"; return 1; }
  cat "$dir/uri"
}

# sip_phone_cmd DIR "COMMAND [PARAMS]" : run a baresip command through the agent,
# e.g. "sndcode 0#", "hangup", "accept", "dial sip:x@127.0.0.1:5060", "reginfo".
sip_phone_cmd() { _sip_pid_alive "$1/agent.pid" && printf '%s\n' "$2" > "$1/cmd.fifo"; }

# sip_phone_wait DIR REGEX [TIMEOUT_S=10] : wait for a line of DIR/events.jsonl, e.g.
# '"CALL_ESTABLISHED"', '"CALL_CLOSED"', '"REGISTER_OK"', '"CALL_DTMF_START".*"param": "#"'.
sip_phone_wait() { sip_wait_match "$1/events.jsonl" "$2" "${3:-10}"; }

# sip_phone_digits DIR : the RFC 4733 / SIP INFO digits this baresip received, in order.
sip_phone_digits() {
  python3 - "$1/events.jsonl" <<'EOF'
import json, sys
print("".join(m.get("param", "") for m in map(json.loads, open(sys.argv[1]))
              if m.get("type") == "CALL_DTMF_START"))
EOF
}

# sip_phone_last_rec DIR : newest recording of what the phone heard (…-dec.wav).
sip_phone_last_rec() { ls -t "$1"/rec/*-dec.wav 2>/dev/null | head -1; }

sip_phone_stop() {
  _sip_stop_pidfile "$1/agent.pid"
  _sip_stop_pidfile "$1/baresip.pid"
}

# ---------------------------------------------------------------- Kamailio registrar/proxy

# sip_kamailio_start DIR [--auth] [--invite-auth] [--password PW] [--port P] [--tls CERT KEY]
#   --auth          401 digest challenge on REGISTER (any user, password PW, default "secret")
#   --invite-auth   407 digest challenge on initial INVITE (same password)
#   --qop           challenges offer qop="auth" (then clients must send nc/cnonce)
#   --tls CERT KEY  also SIP over TLS (kamailio-tls-modules) on 127.0.0.1:TLSPORT with this
#                   server certificate chain and key (PEM); TLSPORT is written to DIR/tls_port
# Writes DIR/{kamailio.cfg,port,kamailio.pid,kamailio.log,run/}; prints 127.0.0.1:PORT.
sip_kamailio_start() {
  local dir=$1; shift
  local port="" pw=secret defs=() tls_cert="" tls_key="" listen=()
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls_cert=$2; tls_key=$3; shift 3;;
      --auth) defs+=(-A WITH_AUTH); shift;;
      --invite-auth) defs+=(-A WITH_INVITE_AUTH); shift;;
      --qop) defs+=(-A WITH_QOP); shift;;
      --password) pw=$2; shift 2;;
      --port) port=$2; shift 2;;
      *) echo "sip_kamailio_start: unknown option $1" >&2; return 2;;
    esac
  done
  mkdir -p "$dir/run" || return 1
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(sip_free_port)
  cat > "$dir/kamailio.cfg" <<'EOF'
#!KAMAILIO
# Minimal test registrar + stateful proxy. usrloc in memory (db_mode 0), no DB.
# Listen address, runtime dir and ctl socket come from the command line.
#   -A WITH_AUTH          401 digest challenge on REGISTER
#   -A WITH_INVITE_AUTH   407 digest challenge on initial INVITE
#   -A 'AUTH_PASSWORD="x"' the one password every user has (default "secret")
#!ifndef AUTH_PASSWORD
#!define AUTH_PASSWORD "secret"
#!endif
#   -A WITH_QOP           challenges carry qop="auth" (default: no qop, RFC 2069 style)
#!ifdef WITH_QOP
#!define CHALLENGE_FLAGS "1"
#!else
#!define CHALLENGE_FLAGS "0"
#!endif

debug=2
log_stderror=yes
children=1
#!ifdef WITH_TLS
disable_tcp=no
enable_tls=yes
tcp_children=1
#!else
disable_tcp=yes
#!endif
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
dns_try_ipv6=no

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "ctl.so"
#!ifdef WITH_TLS
loadmodule "tls.so"
modparam("tls", "config", TLS_CFG)
#!endif

modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
#!ifdef CTL_SOCK
modparam("ctl", "binrpc", CTL_SOCK)
#!endif

request_route {
    xlog("L_INFO", "REQ $rm $ru from $si:$sp\n");
    xlog("L_INFO", "PROTO $rm over $pr\n");
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
        sl_send_reply("404", "Not here"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
    t_check_trans();
    if (is_method("REGISTER")) {
#!ifdef WITH_AUTH
        if (!pv_www_authenticate("$td", AUTH_PASSWORD, "0")) { www_challenge("$td", CHALLENGE_FLAGS); exit; }
        consume_credentials();
#!endif
        if (!save("location")) { sl_reply_error(); }
        exit;
    }
#!ifdef WITH_INVITE_AUTH
    if (is_method("INVITE")) {
        if (!pv_proxy_authenticate("$fd", AUTH_PASSWORD, "0")) { proxy_challenge("$fd", CHALLENGE_FLAGS); exit; }
        consume_credentials();
    }
#!endif
    if (is_method("INVITE")) { record_route(); }
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    if (!t_relay()) { sl_reply_error(); }
    exit;
}

onreply_route {
    xlog("L_INFO", "RPL $rs $rr for $rm\n");
}
EOF
  echo "$port" > "$dir/port"
  listen=(-l "udp:127.0.0.1:$port")
  if [ -n "$tls_cert" ]; then
    local tls_port; tls_port=$(sip_free_port)
    echo "$tls_port" > "$dir/tls_port"
    printf '%s\n' '[server:default]' 'method = TLSv1.2+' 'verify_certificate = no' \
      'require_certificate = no' "certificate = $tls_cert" "private_key = $tls_key" '' \
      '[client:default]' 'method = TLSv1.2+' 'verify_certificate = no' 'require_certificate = no' \
      > "$dir/tls.cfg"
    listen+=(-l "tls:127.0.0.1:$tls_port")
    defs+=(-A WITH_TLS -A "TLS_CFG=\"$dir/tls.cfg\"")
  fi
  # -DD: do not daemonize (the PID of this background job is the main process; its
  # children exit with it); -E: log to stderr; -n 1: one worker; -m/-M: small memory.
  kamailio -f "$dir/kamailio.cfg" -DD -E "${listen[@]}" -Y "$dir/run" -w "$dir/run" \
    -m 32 -M 4 -n 1 -A "CTL_SOCK=\"unix:$dir/run/kamailio_ctl\"" -A "AUTH_PASSWORD=\"$pw\"" "${defs[@]}" \
    > "$dir/kamailio.log" 2>&1 &
  echo $! > "$dir/kamailio.pid"
  local end=$((SECONDS + 10))
  until [ -S "$dir/run/kamailio_ctl" ] && ss -Hlun "sport = :$port" | grep -q .; do
    _sip_pid_alive "$dir/kamailio.pid" || { echo "kamailio died:" >&2; tail -5 "$dir/kamailio.log" >&2; return 1; }
    (( SECONDS < end )) || { echo "kamailio not up" >&2; sip_kamailio_stop "$dir"; return 1; }
    sleep 0.1
  done
  echo "127.0.0.1:$port"
}

# sip_kamailio_ul DIR : dump the in-memory location table (kamcmd ul.dump over the ctl socket).
sip_kamailio_ul() { kamcmd -s "unix:$1/run/kamailio_ctl" ul.dump; }

sip_kamailio_stop() { _sip_stop_pidfile "$1/kamailio.pid"; }

# ---------------------------------------------------------------- SIPp

# sip_make_dtmf_pcap OUT.pcap DIGITS [PT=101] [TONE_MS=160] [GAP_MS=100]
# Writes an RFC 4733 telephone-event stream for DIGITS (0-9 * # A-D) as one pcap for SIPp's
# play_pcap_audio: one SSRC, continuous sequence numbers, one RTP timestamp per event, marker
# on each event's first packet, 20 ms packets, the last one repeated 3 times with the E bit.
# (The pcaps that sip-tester ships are one file per digit with unrelated sequence numbers; a
# receiver with a jitter buffer drops the 2nd file's packets, see SIP.md.)
sip_make_dtmf_pcap() {
  python3 - "$1" "$2" "${3:-101}" "${4:-160}" "${5:-100}" <<'PYEOF'
import struct, sys
out, digits, pt, tone_ms, gap_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
codes = {c: i for i, c in enumerate("0123456789*#ABCD")}
ssrc, seq, t_ms = 0x5349500d, 1000, 0
pkts = []
def pkt(t, marker, ts, event, end, dur):
    global seq
    rtp = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xffff, ts & 0xffffffff, ssrc)
    rtp += struct.pack(">BBH", event, (0x80 if end else 0) | 10, dur)
    seq += 1
    udp = struct.pack(">HHHH", 40000, 10000, 8 + len(rtp), 0) + rtp
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
    frame = b"\x00" * 12 + b"\x08\x00" + ip
    pkts.append((t, frame))
for d in digits.upper():
    if d not in codes: sys.exit(f"bad digit {d!r}")
    ts0, n = t_ms * 8, max(1, tone_ms // 20)
    for i in range(n):
        pkt(t_ms, i == 0, ts0, codes[d], False, (i + 1) * 160); t_ms += 20
    for i in range(3):
        pkt(t_ms, False, ts0, codes[d], True, n * 160); t_ms += 20
    t_ms += gap_ms
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for t, frame in pkts:
        sec = 1700000000 + t // 1000
        f.write(struct.pack("<IIII", sec, (t % 1000) * 1000, len(frame), len(frame)) + frame)
print(f"{out}: {len(pkts)} packets, {t_ms} ms")
PYEOF
}

# sip_sipp_uas_start DIR [options] : SIPp UAS that answers every INVITE with 180 + 200 OK/SDP
# (PCMU 0 + telephone-event/8000 as 101), then sends DTMF, then waits for the BYE.
#   --digits D        digits to send (0-9 * #; default "#")
#   --info            send the digits as SIP INFO application/dtmf-relay instead of RFC 4733 RTP
#   --shipped-pcaps   play sip-tester's own dtmf_2833_<digit>.pcap files, one per digit, instead of
#                     one pcap made by sip_make_dtmf_pcap (the shipped ones: single digits only)
#   --answer-after MS 180 -> 200 delay (default 500)
#   --dtmf-after MS   ACK -> first digit delay (default 1000)
#   --calls N         exit after N calls (default: run until stopped or --timeout)
#   --timeout S       SIPp global timeout in seconds (default 120)
#   --port P          SIP port (default free)
# Writes DIR/{uas.xml,port,sipp.pid,sipp.out,messages.log,errors.log,stat.csv}; prints 127.0.0.1:PORT.
sip_sipp_uas_start() {
  local dir=$1; shift
  local digits="#" info="" shipped="" answer_after=500 dtmf_after=1000 calls="" timeout=120 port="" transport=u1
  while [ $# -gt 0 ]; do
    case $1 in
      --digits) digits=$2; shift 2;;   --info) info=1; shift;;
      --shipped-pcaps) shipped=1; shift;;
      --answer-after) answer_after=$2; shift 2;;  --dtmf-after) dtmf_after=$2; shift 2;;
      --calls) calls=$2; shift 2;;     --timeout) timeout=$2; shift 2;;
      --port) port=$2; shift 2;;       --tcp) transport=t1; shift;;
      *) echo "sip_sipp_uas_start: unknown option $1" >&2; return 2;;
    esac
  done
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(sip_free_port)
  local mport; mport=$(sip_free_port_pair)
  if [ -z "$info" ] && [ -z "$shipped" ]; then
    sip_make_dtmf_pcap "$dir/dtmf.pcap" "$digits" > /dev/null || return 1
  fi
  python3 - "$dir/uas.xml" "$digits" "$info" "$answer_after" "$dtmf_after" "$SIP_SIPP_PCAP_DIR" "$shipped" "$dir/dtmf.pcap" <<'PYEOF' || return 1
import sys
out, digits, info, answer_after, dtmf_after, pcapdir, shipped, mypcap = sys.argv[1:]
names = {"#": "pound", "*": "star"}
steps = []
for i, d in enumerate(digits):
    if d not in "0123456789*#":
        sys.exit("unsupported digit %r" % d)
    if info:
        sig = d
        steps.append(f"""
  <send retrans="500">
    <![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$local_party];tag=[pid]SIPpTag01[call_number]
      To: [$remote_party]
      [last_Call-ID:]
      CSeq: {i + 1} INFO
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={sig}
      Duration=160

    ]]>
  </send>
  <recv response="200"/>{'' if i == len(digits) - 1 else chr(10) + '  <pause milliseconds="300"/>'}""")
    elif shipped:
        f = f"{pcapdir}/dtmf_2833_{names.get(d, d)}.pcap"
        steps.append(f"""
  <nop><action><exec play_pcap_audio="{f}"/></action></nop>
  <pause milliseconds="300"/>""")
if not info and not shipped:
    steps = [f"""
  <nop><action><exec play_pcap_audio="{mypcap}"/></action></nop>"""]
ereg = """
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" check_it="true" assign_to="remote_party"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" check_it="true" assign_to="local_party"/>
    </action>""" if info else ""
xml = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="phone UAS: 180, 200 OK with PCMU + telephone-event, DTMF {digits!r}{' (SIP INFO)' if info else ' (RFC 4733 pcap)'}, wait for BYE">
  <recv request="INVITE" crlf="true" rrs="true">{ereg}
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="{answer_after}"/>
  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv

    ]]>
  </send>
  <recv request="ACK" rtd="true" crlf="true"/>
  <pause milliseconds="{dtmf_after}"/>{''.join(steps)}
  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <timewait milliseconds="2000"/>
  <ResponseTimeRepartition value="10, 20, 30, 40, 50, 100, 150, 200"/>
  <CallLengthRepartition value="10, 50, 100, 500, 1000, 5000, 10000"/>
</scenario>
"""
open(out, "w").write(xml)
PYEOF
  echo "$port" > "$dir/port"
  rm -f "$dir"/messages.log "$dir"/errors.log "$dir"/stat.csv
  # -nostdin: no keyboard UI; -timeout: stops by itself; -timeout_error: exit non-zero on it.
  _sip_spawn "$dir" sipp bash -c 'exec "$@" > "$0/sipp.out" 2>&1' "$dir" \
    sipp -sf "$dir/uas.xml" -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -mp "$mport" -t "$transport" \
    ${calls:+-m "$calls"} -timeout "${timeout}s" -nostdin \
    -trace_msg -message_file "$dir/messages.log" -trace_err -error_file "$dir/errors.log" \
    -trace_stat -stf "$dir/stat.csv" -fd 1 || return 1
  local end=$((SECONDS + 10))
  until ss -Hlun "sport = :$port" | grep -q . || ss -Hltn "sport = :$port" | grep -q .; do
    _sip_pid_alive "$dir/sipp.pid" || { echo "sipp died:" >&2; tail -5 "$dir/sipp.out" >&2; return 1; }
    (( SECONDS < end )) || { echo "sipp not up" >&2; sip_sipp_stop "$dir"; return 1; }
    sleep 0.1
  done
  echo "127.0.0.1:$port"
}

# sip_sipp_uac_start DIR TARGET [CALLS=1] [CONCURRENT=CALLS] [HOLD_MS=3000]
# TARGET: HOST:PORT (request user "service") or sip:USER@HOST:PORT.
# SIPp's built-in "uac" scenario (INVITE with PCMU SDP, ACK, pause, BYE): CALLS calls,
# at most CONCURRENT at once, all started within the first second. Exits by itself.
sip_sipp_uac_start() {
  local dir=$1 target=$2 calls=${3:-1} conc=${4:-${3:-1}} hold=${5:-3000} user=service
  case $target in sip:*@*) user=${target#sip:}; user=${user%%@*}; target=${target#*@};; esac
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  local port mport; port=$(sip_free_port); mport=$(sip_free_port_pair)
  rm -f "$dir"/messages.log "$dir"/errors.log "$dir"/stat.csv
  _sip_spawn "$dir" sipp bash -c 'exec "$@" > "$0/sipp.out" 2>&1' "$dir" \
    sipp -sn uac "$target" -s "$user" -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -mp "$mport" -t u1 \
    -m "$calls" -l "$conc" -r "$conc" -rp 1000 -d "$hold" -timeout 120s -timeout_error -nostdin \
    -trace_msg -message_file "$dir/messages.log" -trace_err -error_file "$dir/errors.log" \
    -trace_stat -stf "$dir/stat.csv" -fd 1
}

# sip_sipp_wait DIR [TIMEOUT_S=60] : wait for a SIPp started above to exit; return its exit code
# (0 = all calls succeeded, 1 = at least one failed; see `man sipp`).
sip_sipp_wait() {
  local dir=$1 end=$((SECONDS + ${2:-60}))
  until [ -s "$dir/sipp.rc" ]; do
    (( SECONDS < end )) || { echo "sipp $(cat "$dir/sipp.pid") still running" >&2; return 124; }
    sleep 0.2
  done
  rm -f "$dir/sipp.pid"
  return "$(cat "$dir/sipp.rc")"
}

sip_sipp_stop() { _sip_stop_pidfile "$1/sipp.pid"; }

# sip_sipp_counts DIR : "successful failed" from the last line of SIPp's -trace_stat CSV.
sip_sipp_counts() {
  python3 - "$1/stat.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
h, last = rows[0], rows[-1]
print(last[h.index("SuccessfulCall(C)")], last[h.index("FailedCall(C)")])
EOF
}

# ---------------------------------------------------------------- capture and DTMF check

# sip_capture_start DIR [BPF filter, default "udp"] : tcpdump -i lo -w DIR/lo.pcap
sip_capture_start() {
  local dir=$1; mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  rm -f "$dir/lo.pcap"
  tcpdump -i lo -n -U -s 0 -w "$dir/lo.pcap" "${2:-udp}" > "$dir/tcpdump.log" 2>&1 &
  echo $! > "$dir/tcpdump.pid"
  sip_wait_match "$dir/tcpdump.log" 'listening on' 10 > /dev/null
}
sip_capture_stop() { _sip_stop_pidfile "$1/tcpdump.pid"; }

# sip_pcap_dtmf PCAP [PT=101] : decode RTP in a pcap (link types EN10MB, Linux SLL, SLL2).
# Prints the RTP payload types seen per flow, then every RFC 4733 telephone-event packet
# with PT, then the digits per flow ("DIGITS <flow> 0#"): one digit per event, where an event
# starts at a marker-bit packet or a new RTP timestamp.
sip_pcap_dtmf() {
  python3 - "$1" "${2:-101}" <<'EOF'
import collections, signal, struct, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # quiet when piped into head / grep -m
path, want_pt = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
magic = data[:4]
endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
linktype = struct.unpack(endian + "I", data[20:24])[0]
off = 24
pts = collections.Counter()
digits = collections.defaultdict(str)
last_end = {}
names = "0123456789*#ABCD"
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16]); off += 16
    pkt = data[off:off + incl]; off += incl
    if linktype == 1:   ip = pkt[14:] if pkt[12:14] == b"\x08\x00" else None
    elif linktype == 113: ip = pkt[16:] if pkt[14:16] == b"\x08\x00" else None
    elif linktype == 276: ip = pkt[20:] if pkt[0:2] == b"\x08\x00" else None
    elif linktype in (0, 108): ip = pkt[4:]
    else: sys.exit(f"unsupported link type {linktype}")
    if not ip or ip[0] >> 4 != 4 or ip[9] != 17: continue
    ihl = (ip[0] & 15) * 4
    src = ".".join(map(str, ip[12:16])); dst = ".".join(map(str, ip[16:20]))
    sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
    rtp = ip[ihl + 8:]
    if len(rtp) < 12 or rtp[0] >> 6 != 2: continue
    pt = rtp[1] & 0x7f
    if pt in (72, 73, 74, 75, 76, 77, 78, 79): continue   # RTCP
    cc = rtp[0] & 15
    flow = f"{src}:{sport}>{dst}:{dport}"
    pts[(flow, pt)] += 1
    if pt != want_pt: continue
    seq, ts, ssrc = struct.unpack(">HII", rtp[2:12])
    ev = rtp[12 + 4 * cc:]
    if len(ev) < 4: continue
    event, flags, dur = ev[0], ev[1], struct.unpack(">H", ev[2:4])[0]
    end = bool(flags & 0x80)
    d = names[event] if event < 16 else f"<{event}>"
    print(f"RTP-EVENT {flow} pt={pt} seq={seq} ts={ts} event={event}({d}) end={int(end)} vol={flags & 0x3f} dur={dur}")
    # a new event starts at a packet with the marker bit, or when the RTP timestamp changes
    marker = bool(rtp[1] & 0x80)
    if marker or last_end.get((flow, ssrc)) != ts:
        digits[flow] += d
    last_end[(flow, ssrc)] = ts
for (flow, pt), n in sorted(pts.items()):
    print(f"RTP-PT {flow} pt={pt} packets={n}")
for flow, ds in digits.items():
    print(f"DIGITS {flow} {ds}")
EOF
}
