#!/bin/sh
# src/statuspage.sh FILE: writes FILE (src/statuspage.html) to stdout as a
# C header with one string, statuspage_html, that qured serves at GET /
# (src/http.c). Backslash, double quote and '?' (no trigraphs under
# -std=c11) are escaped; each line keeps its newline.
set -eu
printf '/* Generated from %s by src/statuspage.sh: do not edit. */\n' \
    "$(basename "$1")"
printf '#ifndef QURE_STATUSPAGE_H\n#define QURE_STATUSPAGE_H\n\n'
printf 'static const char statuspage_html[] __attribute__((unused)) =\n'
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/\t"/' \
    -e 's/$/\\n"/' "$1"
printf ';\n\n#endif\n'
