"""The brokers: probes, and the ways of starting them (docker compose, native Kafka, native RabbitMQ)."""
