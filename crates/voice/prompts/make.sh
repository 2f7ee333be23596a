#!/usr/bin/env bash
# Makes the built-in call prompts from text: espeak-ng speaks, sox converts to
# what G.711 carries (8000 Hz, mono) as 8-bit µ-law WAV (half the size of
# 16-bit PCM, and what PCMU sends anyway), cuts the silence at both ends and
# normalises the level to -3 dBFS; -R (repeatable) seeds the dither, so the
# same versions make the same bytes. The WAV files are committed and compiled
# into the binary (src/prompts.rs, include_bytes!); run this again after
# changing a text, and commit what it writes.
#
#   apt-get install -y espeak-ng sox      (made with espeak-ng 1.51, sox 14.4.2, Debian 12)
#   crates/voice/prompts/make.sh
#
# A call says: intro, the account name (spelled with the letter and digit clips,
# or the operator's account_name.wav, or espeak-ng at run time), then approve or
# pin. Operators replace any clip with their own recording:
# voice.prompts_dir/<lang>/<name>.wav (16-bit PCM or 8-bit µ-law, 8000 Hz, mono).
set -euo pipefail
cd "$(dirname "$0")"
command -v espeak-ng >/dev/null && command -v sox >/dev/null ||
  { echo "make.sh: needs espeak-ng and sox (apt-get install -y espeak-ng sox)" >&2; exit 1; }

# say LANG NAME VOICE "TEXT" [SPEED]
say() {
  local lang=$1 name=$2 voice=$3 text=$4 speed=${5:-150} tmp
  mkdir -p "$lang"
  tmp=$(mktemp --suffix=.wav)
  # -s 150: a little slower than the default 175 words a minute, for the phone.
  espeak-ng -v "$voice" -s "$speed" -w "$tmp" "$text"
  sox -R "$tmp" -r 8000 -c 1 -b 8 -e u-law "$lang/$name.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse gain -n -3
  rm -f "$tmp"
}

letters=(a b c d e f g h i j k l m n o p q r s t u v w x y z)

# English
say en intro en-us "This is"
say en countersign en-us "Countersign"
say en approve en-us "Someone is signing in with your account. To approve, press the pound key. To report fraud, press zero, then pound."
say en pin en-us "Someone is signing in with your account. To approve, enter your PIN, then press the pound key. To report fraud, press zero, then pound."
say en accepted en-us "Thank you. The sign-in is approved. Goodbye."
say en refused en-us "The sign-in is refused. Goodbye."
say en fraud_reported en-us "Thank you. The sign-in is refused and the fraud is reported. Goodbye."
words_en=(zero one two three four five six seven eight nine)
for d in 0 1 2 3 4 5 6 7 8 9; do say en "digit_$d" en-us "${words_en[$d]}"; done
# A letter alone is said by its name; a little faster, a name is spelled in a row.
for l in "${letters[@]}"; do say en "letter_$l" en-us "${l^^}" 170; done

# German
say de intro de "Hier ist"
say de countersign de "Countersign"
say de approve de "Jemand meldet sich mit Ihrem Konto an. Zum Bestätigen drücken Sie die Rautetaste. Um Betrug zu melden, drücken Sie null und dann Raute."
say de pin de "Jemand meldet sich mit Ihrem Konto an. Zum Bestätigen geben Sie Ihre PIN ein und drücken dann die Rautetaste. Um Betrug zu melden, drücken Sie null und dann Raute."
say de accepted de "Danke. Die Anmeldung ist bestätigt. Auf Wiederhören."
say de refused de "Die Anmeldung ist abgelehnt. Auf Wiederhören."
say de fraud_reported de "Danke. Die Anmeldung ist abgelehnt und der Betrug gemeldet. Auf Wiederhören."
words_de=(null eins zwei drei vier fünf sechs sieben acht neun)
for d in 0 1 2 3 4 5 6 7 8 9; do say de "digit_$d" de "${words_de[$d]}"; done
for l in "${letters[@]}"; do say de "letter_$l" de "${l^^}" 170; done

du -ch en/*.wav de/*.wav | tail -1
