#!/usr/bin/env bash
# The broker in the foreground, logging to the console.
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
KAFKA_LOG4J_CONFIG=$(dirname "$0")/../config/log4j2.yaml exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
