"""An idempotent RabbitMQ ledger consumer, run as its own process so a test can SIGKILL it with unacked messages.

    python tests/faults/rabbit_ledger.py DB QUEUE

Each message is applied in one SQLite transaction that also records its event id; acks go out only every
ACK_EVERY messages (multiple=True), so a kill leaves up to ACK_EVERY - 1 applied but unacked messages that
the broker redelivers to the next consumer: the ledger counts and skips them. Prints
`progress <unacked> <events applied so far>`; exits after IDLE_S seconds without messages.
"""

from __future__ import annotations

import sys

from helpers import banking, rabbit_io

ACK_EVERY = 50
PREFETCH = 200
IDLE_S = 4.0


def main(path: str, queue: str) -> int:
    """Consume until idle, applying each event once."""
    from kafka_projection import apply_once, open_db  # beside this script, so on sys.path when it runs

    db = open_db(path)
    applied = db.execute("SELECT COUNT(*) FROM processed").fetchone()[0]
    channel = rabbit_io.open_channel()
    channel.basic_qos(prefetch_count=PREFETCH)
    unacked = 0
    for method, _properties, body in channel.consume(queue, inactivity_timeout=IDLE_S):
        if method is None:
            break
        if method.redelivered:
            db.execute("INSERT OR IGNORE INTO stats VALUES ('flagged', 0)")
            db.execute("UPDATE stats SET value = value + 1 WHERE name = 'flagged'")
        applied += apply_once(db, banking.from_json(body), 0, method.delivery_tag)
        unacked += 1
        if unacked == ACK_EVERY:
            channel.basic_ack(method.delivery_tag, multiple=True)
            unacked = 0
        else:
            print(f"progress {unacked} {applied}", flush=True)
    if unacked:
        channel.basic_ack(0, multiple=True)
    channel.cancel()
    channel.connection.close()
    print(f"idle {applied}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
