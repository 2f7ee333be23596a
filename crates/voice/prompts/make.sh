#!/usr/bin/env bash
# Makes the built-in call prompts from text: espeak-ng speaks, sox converts to
# what G.711 carries (8000 Hz, mono, 16-bit signed PCM), cuts the silence at
# both ends and normalises the level to -3 dBFS; -R (repeatable) seeds the
# dither, so the same versions make the same bytes. The WAV files are committed
# and compiled into the binary (src/prompts.rs, include_bytes!); run this again
# after changing a text, and commit what it writes.
#
#   apt-get install -y espeak-ng sox      (made with espeak-ng 1.51, sox 14.4.2, Debian 12)
#   crates/voice/prompts/make.sh
#
# Operators replace any of them with their own recordings: voice.prompts_dir/<lang>/<name>.wav.
set -euo pipefail
cd "$(dirname "$0")"
command -v espeak-ng >/dev/null && command -v sox >/dev/null ||
  { echo "make.sh: needs espeak-ng and sox (apt-get install -y espeak-ng sox)" >&2; exit 1; }

# say LANG NAME VOICE "TEXT"
say() {
  local lang=$1 name=$2 voice=$3 text=$4 tmp
  mkdir -p "$lang"
  tmp=$(mktemp --suffix=.wav)
  # -s 150: a little slower than the default 175 words a minute, for the phone.
  espeak-ng -v "$voice" -s 150 -w "$tmp" "$text"
  sox -R "$tmp" -r 8000 -c 1 -b 16 -e signed-integer "$lang/$name.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse gain -n -3
  rm -f "$tmp"
}

# English
say en approve en-us "This is Countersign. Someone is signing in with your account. To approve, press the pound key. To report fraud, press zero, then pound."
say en pin en-us "This is Countersign. Someone is signing in with your account. To approve, enter your PIN, then press the pound key. To report fraud, press zero, then pound."
say en accepted en-us "Thank you. The sign-in is approved. Goodbye."
say en refused en-us "The sign-in is refused. Goodbye."
say en fraud_reported en-us "Thank you. The sign-in is refused and the fraud is reported. Goodbye."
words_en=(zero one two three four five six seven eight nine)
for d in 0 1 2 3 4 5 6 7 8 9; do say en "digit_$d" en-us "${words_en[$d]}"; done

# German
say de approve de "Hier ist Countersign. Jemand meldet sich mit Ihrem Konto an. Zum Bestätigen drücken Sie die Rautetaste. Um Betrug zu melden, drücken Sie null und dann Raute."
say de pin de "Hier ist Countersign. Jemand meldet sich mit Ihrem Konto an. Zum Bestätigen geben Sie Ihre PIN ein und drücken dann die Rautetaste. Um Betrug zu melden, drücken Sie null und dann Raute."
say de accepted de "Danke. Die Anmeldung ist bestätigt. Auf Wiederhören."
say de refused de "Die Anmeldung ist abgelehnt. Auf Wiederhören."
say de fraud_reported de "Danke. Die Anmeldung ist abgelehnt und der Betrug gemeldet. Auf Wiederhören."
words_de=(null eins zwei drei vier fünf sechs sieben acht neun)
for d in 0 1 2 3 4 5 6 7 8 9; do say de "digit_$d" de "${words_de[$d]}"; done

du -ch en/*.wav de/*.wav | tail -1
