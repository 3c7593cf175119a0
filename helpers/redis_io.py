"""Redis for the notebooks: a client that fails fast with the fix, and a per-notebook key namespace reset."""

from __future__ import annotations

import redis

from helpers import clients, config


def connect(settings: config.Settings | None = None) -> redis.Redis:
    """A Redis client at REDIS_URL (strings decoded), after a fail-fast check; close it when done."""
    settings = clients.require_redis(settings)
    timeout = settings.connect_timeout_s
    return redis.Redis.from_url(settings.redis_url, decode_responses=True,
                                socket_timeout=timeout, socket_connect_timeout=timeout)


def reset(client: redis.Redis, prefix: str) -> int:
    """Delete every key under `prefix:` (a notebook's own namespace); return how many went."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    return client.delete(*keys) if keys else 0
