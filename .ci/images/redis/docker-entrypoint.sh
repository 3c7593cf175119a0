#!/bin/sh
# The official image builds redis-server with protected mode off (ports are published by Docker, not bound here).
if [ "${1:-}" = "redis-server" ]; then
  shift
  set -- redis-server "$@" --protected-mode no
fi
exec "$@"
