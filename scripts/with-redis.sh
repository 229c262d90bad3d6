#!/usr/bin/env bash
# Runs a command with a throwaway Redis (Debian's redis-server) on a free loopback port:
# exports MINHU_TEST_REDIS_URL (the tests that need a shared cache use it; the rest of the
# suite keeps its per-process memory cache), runs "$@", then stops Redis and deletes its dir.
set -euo pipefail

REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server || true)}"
if [ -z "$REDIS_SERVER" ]; then
  echo "with-redis: redis-server not found (apt-get install redis-server)" >&2
  exit 2
fi
dir=$(mktemp -d /tmp/minhu-redis.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/log" >/dev/null
cleanup() {
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir" 2>/dev/null || { sleep 0.5; rm -rf "$dir"; }
}
trap cleanup EXIT
for _ in $(seq 50); do
  [ -f "$dir/redis.pid" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
export MINHU_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "with-redis: Redis $("$REDIS_SERVER" --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
"$@"
