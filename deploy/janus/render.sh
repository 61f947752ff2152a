#!/bin/sh
# rtc-elements: renders our Janus config templates (*.jcfg) into a directory, filling only our placeholders from the environment.
# Usage: JANUS_API_SECRET=... JANUS_ADMIN_KEY=... JANUS_WS_IP=127.0.0.1 JANUS_WS_PORT=8188 JANUS_RTP_PORTS=20000-40000 \
#          render.sh <templates dir> <output dir>
set -eu
src=${1:?usage: render.sh <templates dir> <output dir>}
out=${2:?usage: render.sh <templates dir> <output dir>}
# An empty api_secret or admin_key would turn the protection off: refuse.
for name in JANUS_API_SECRET JANUS_ADMIN_KEY JANUS_WS_IP JANUS_WS_PORT JANUS_RTP_PORTS; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "render.sh: $name is not set" >&2
    exit 1
  fi
done
mkdir -p "$out"
umask 077
for f in "$src"/*.jcfg; do
  # shellcheck disable=SC2016 # the dollars are envsubst's, not the shell's
  envsubst '$JANUS_API_SECRET $JANUS_ADMIN_KEY $JANUS_WS_IP $JANUS_WS_PORT $JANUS_RTP_PORTS' <"$f" >"$out/${f##*/}"
done
