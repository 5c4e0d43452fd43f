# syntax=docker/dockerfile:1
# Build stage: compile and package with the Maven wrapper (tests run in CI, not in the image build).
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

# Runtime stage: a JRE, a non-root user, the shaded jar.
FROM eclipse-temurin:25-jre
RUN groupadd --system broker && useradd --system --gid broker --home-dir /var/lib/claudemesh broker \
    && mkdir -p /var/lib/claudemesh && chown broker:broker /var/lib/claudemesh \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/broker-netty/target/claudemesh-broker.jar /opt/claudemesh/claudemesh-broker.jar
USER broker
WORKDIR /var/lib/claudemesh
ENV BROKER_PORT=7900 BROKER_DATA_DIR=/var/lib/claudemesh/data
EXPOSE 7900
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:7900/health || exit 1
ENTRYPOINT ["java", "--sun-misc-unsafe-memory-access=allow", "-XX:+UseZGC", "-jar", "/opt/claudemesh/claudemesh-broker.jar"]
