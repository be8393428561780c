# Parley in a container: built with the project's own Maven wrapper on a JDK, run on a JRE as an unprivileged user,
# with the embedded PostgreSQL's data (and the generated token key and database password) in the /data volume.
#
#   docker build -t parley .
#   docker run -p 8080:8080 -v parley-data:/data parley
#
# With your own PostgreSQL, pass DATABASE_URL and PARLEY_JWT_SECRET (-e); /data then holds nothing.
# linux/amd64 only: the bundled PostgreSQL binaries are x86-64 (README, Known limits). CI lints this file
# (.ci/run); it has no Docker engine to build it.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
# The wrapper and the pom first, so the dependency download is a layer of its own that a source change reuses.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -ntp -q dependency:go-offline
COPY src/main src/main
COPY webroot webroot
# maven.test.skip: the image needs the jar only; the tests run in CI (they need Chromium and Node besides).
RUN ./mvnw -B -ntp -q -Dmaven.test.skip=true package

FROM eclipse-temurin:17-jre
# curl for the health check. The embedded PostgreSQL needs nothing more: its binaries bring their own libraries
# (ICU, OpenSSL, libxml2, zlib) and use only glibc, libstdc++ and libgcc from the image.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
# PostgreSQL refuses to run as root, and Parley needs no privilege: a system user of its own owns /data, and
# /backups, where a volume mounted for PARLEY_BACKUP_DIR=/backups takes that owner (a named volume copies it).
RUN groupadd --system --gid 10001 parley \
    && useradd --system --uid 10001 --gid parley --home-dir /data --shell /usr/sbin/nologin parley \
    && mkdir -p /data /backups /app \
    && chown parley:parley /data /backups \
    && chmod 700 /data /backups
COPY --from=build /src/target/parley.jar /app/parley.jar

ENV PARLEY_DATA_DIR=/data \
    PARLEY_PORT=8080 \
    PARLEY_HOST=0.0.0.0
VOLUME /data
EXPOSE 8080
USER parley:parley
WORKDIR /data

# /health is ready: the database answers and the node is not draining. The first start unpacks PostgreSQL and
# runs initdb, hence the start period.
HEALTHCHECK --start-period=60s --interval=30s --timeout=5s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PARLEY_PORT}/health" || exit 1

# Exec form: java is PID 1 and gets the SIGTERM of `docker stop` itself, so requests drain
# (PARLEY_SHUTDOWN_GRACE) and the embedded PostgreSQL stops cleanly. Run it with `docker run --init` (the README):
# an init in front passes the signal on and reaps orphans (a stopped backup copy command's), which java does not. Half the container's memory goes to the
# heap; the other half is left to PostgreSQL, which runs in the same container.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-jar", "/app/parley.jar"]
