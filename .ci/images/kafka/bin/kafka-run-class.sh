#!/usr/bin/env bash
# Run one of Kafka's classes with the jars in /opt/kafka/libs (what the tarball's script of this name does).
base=$(dirname "$0")/..
log_config=${KAFKA_LOG4J_CONFIG:-$base/config/tools-log4j2.yaml}
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true} \
  ${KAFKA_OPTS:-} "-Dlog4j2.configurationFile=$log_config" -cp "$base/libs/*" "$@"
