#!/bin/sh
# Container entry point: SERVICE picks the process. `exec` makes Bun PID 1, so it receives the
# SIGTERM that `docker stop` / the kubelet sends and runs the service's graceful shutdown.
set -eu
SERVICE="${SERVICE:-all-in-one}"
case "$SERVICE" in
  gateway | identity | did | sessions | call-control | all-in-one) ;;
  *)
    echo "SERVICE must be one of gateway, identity, did, sessions, call-control, all-in-one (got \"$SERVICE\")" >&2
    exit 2
    ;;
esac
if [ ! -f "services/$SERVICE/main.ts" ]; then
  echo "SERVICE=$SERVICE: services/$SERVICE/main.ts is not in this image" >&2
  exit 2
fi
# all-in-one is what `bun start` runs; started directly so no `bun run` wrapper sits between
# the signal and the process. Bun's own header limit (16 KiB) answers with an empty 431; raised,
# the gateway's own limit (8 KiB) answers first, in the documented error shape.
exec bun --max-http-header-size=65536 "services/$SERVICE/main.ts" "$@"
