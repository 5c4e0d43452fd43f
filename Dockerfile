# syntax=docker/dockerfile:1
# Build stage: compile and package with the Maven wrapper (tests run in CI, not in the image build).
# .git is not in the build context (.dockerignore): pass the commit for /health and --version with
#   docker build --build-arg GIT_SHA=$(git rev-parse HEAD) -t claudemesh-broker .
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY sql sql
COPY broker-core broker-core
COPY broker-db broker-db
COPY broker-netty broker-netty
COPY benchmarks benchmarks
RUN ./mvnw -B -q -DskipTests package

# Runtime stage: a JRE, a non-root user, the shaded jar, the data directory as a volume.
FROM eclipse-temurin:25-jre
RUN groupadd --system broker && useradd --system --gid broker --home-dir /var/lib/claudemesh broker \
    && mkdir -p /var/lib/claudemesh/data && chown -R broker:broker /var/lib/claudemesh \
    && chmod 0700 /var/lib/claudemesh/data \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/broker-netty/target/claudemesh-broker.jar /opt/claudemesh/claudemesh-broker.jar
ARG GIT_SHA=""
ENV GIT_SHA=${GIT_SHA} \
    BROKER_PORT=7900 \
    BROKER_BIND=0.0.0.0 \
    BROKER_DATA_DIR=/var/lib/claudemesh/data \
    JAVA_OPTS="--sun-misc-unsafe-memory-access=allow -XX:+UseZGC -XX:+ExitOnOutOfMemoryError"
# the embedded PostgreSQL's data (meshes, members, owner keys): mount a named volume or a host directory here, or a
# `docker rm` loses it (unused when DATABASE_URL points at an external PostgreSQL)
VOLUME ["/var/lib/claudemesh/data"]
USER broker
WORKDIR /var/lib/claudemesh
EXPOSE 7900
# the configured port (and https when the broker terminates TLS); start period covers the database connect retries
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
  CMD scheme=http; [ -n "$BROKER_TLS_CERT" ] && scheme=https; \
      curl -fsSk --max-time 2 "$scheme://127.0.0.1:${BROKER_PORT:-7900}/health" || exit 1
# a shell, so that JAVA_OPTS is split into JVM options; exec, so that the JVM is PID 1 and gets SIGTERM; arguments
# of `docker run … claudemesh-broker <args>` reach the jar ("$@")
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar /opt/claudemesh/claudemesh-broker.jar \"$@\"", "claudemesh-broker"]
