#!/usr/bin/env bash
# Healthy when rtpengine answers an ng `ping` with `pong` on its control port (UDP).
set -euo pipefail
port="${1:-22222}"
exec 3<>"/dev/udp/127.0.0.1/${port}"
printf 'hc d7:command4:pinge' >&3
IFS= read -r -t 2 -N 64 reply <&3 || true
[[ "${reply:-}" == *pong* ]]
