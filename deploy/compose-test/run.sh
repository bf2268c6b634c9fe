#!/usr/bin/env bash
# make compose-test: the whole stack in containers on this machine, checked through nginx.
# Installs Docker (Debian's docker.io, docker-compose) when missing, starts dockerd when
# none runs (and stops it after), builds the base image offline, the stand-ins and the
# project's images (deploy/docker/Dockerfile*), brings docker-compose.yml up with
# docker-compose.test.yml, runs check.py, then takes it all down. Build logs:
# tests/output/compose/. Prints each phase's time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/output/compose
mkdir -p "$OUT"
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
PROJECT=ainative-ct
PORT=${COMPOSE_TEST_PORT:-18443}
BASE=ainative-base:bookworm-py311
T0=$(date +%s)
phase() { echo "[compose-test] $1: $(( $(date +%s) - $2 ))s"; }

# --- Docker ---------------------------------------------------------------------------
if ! [ -x /usr/bin/docker ] || ! command -v docker-compose >/dev/null; then
    echo "[compose-test] installing docker.io and docker-compose (Debian)"
    apt-get install -y --no-install-recommends docker.io docker-compose iptables debootstrap \
        > "$OUT/apt.log" 2>&1 || { apt-get update >/dev/null && apt-get install -y \
        --no-install-recommends docker.io docker-compose iptables debootstrap > "$OUT/apt.log" 2>&1; }
fi
# Debian's client: BuildKit is built in (a newer CLI elsewhere on PATH may want buildx).
DOCKER=/usr/bin/docker
COMPOSE="docker-compose -p $PROJECT -f docker-compose.yml -f deploy/compose-test/docker-compose.test.yml"
export DOCKER COMPOSE
STARTED_DOCKERD=
if ! $DOCKER info >/dev/null 2>&1; then
    echo "[compose-test] starting dockerd"
    dockerd > "$OUT/dockerd.log" 2>&1 &
    STARTED_DOCKERD=$!
    for _ in $(seq 60); do $DOCKER info >/dev/null 2>&1 && break; sleep 1; done
    $DOCKER info >/dev/null 2>&1 || { echo "[compose-test] FAILED: dockerd did not start (see $OUT/dockerd.log)"; exit 1; }
fi

WORK=$(mktemp -d /tmp/ainative-compose-test.XXXXXX)
ENV_BACKUP=
cleanup() {
    local rc=$? t
    t=$(date +%s)
    $COMPOSE logs --no-color > "$OUT/stack.log" 2>&1 || true
    # students' containers, their volumes and networks: the hub's, not compose's
    for c in $($DOCKER ps -aq --filter name=jupyter-); do $DOCKER rm -f "$c" >/dev/null 2>&1 || true; done
    $COMPOSE down -v --remove-orphans > "$OUT/down.log" 2>&1 || true
    for v in $($DOCKER volume ls -q --filter name=ainative-user-); do $DOCKER volume rm "$v" >/dev/null 2>&1 || true; done
    for n in $($DOCKER network ls -q --filter name=ainative_students); do $DOCKER network rm "$n" >/dev/null 2>&1 || true; done
    rm -f "$ROOT/.env"
    [ -n "$ENV_BACKUP" ] && mv "$ENV_BACKUP" "$ROOT/.env"
    rm -rf "$WORK"
    phase down "$t"
    if [ -n "$STARTED_DOCKERD" ]; then kill "$STARTED_DOCKERD"; wait "$STARTED_DOCKERD" 2>/dev/null || true; fi
    echo "[compose-test] total: $(( $(date +%s) - T0 ))s"
    exit $rc
}
trap cleanup EXIT

# --- build ----------------------------------------------------------------------------
t=$(date +%s)
DOCKER=$DOCKER bash deploy/compose-test/base-image.sh > "$OUT/build-base.log" 2>&1 \
    || { tail -20 "$OUT/build-base.log"; exit 1; }
CERT=${PIP_CERT:-$(pip config get global.cert 2>/dev/null || echo /etc/ssl/certs/ca-certificates.crt)}
build() {  # log name, then docker build arguments
    local log=$OUT/build-$1.log; shift
    $DOCKER build --progress=plain --build-arg BASE_IMAGE=$BASE "$@" > "$log" 2>&1 \
        || { tail -30 "$log"; echo "[compose-test] FAILED: build, see $log"; exit 1; }
}
for s in postgres redis nginx prometheus alertmanager; do
    build standin-$s --target $s -t ainative-standin-$s:test deploy/compose-test/standins
done
build platform --secret id=pip_cert,src="$CERT" -f deploy/docker/Dockerfile -t ainative:test .
build hub --secret id=pip_cert,src="$CERT" -f deploy/docker/Dockerfile.hub -t ainative-hub:test .
phase build "$t"
$DOCKER images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^ainative' | sed 's/^/[compose-test] image /'

# --- up -------------------------------------------------------------------------------
t=$(date +%s)
[ -e .env ] && { ENV_BACKUP=$WORK/env.backup; mv .env "$ENV_BACKUP"; }
{
    cat .env.example
    $DOCKER run --rm ainative:test ainative secrets
    echo "ALLOWED_ORIGINS=https://127.0.0.1:$PORT"
    echo "PUBLIC_API_URL=https://127.0.0.1:$PORT/api"
    echo "HUB_PUBLIC_URL=https://127.0.0.1:$PORT"
    echo "HUB_SUBDOMAIN_HOST="
    echo "TLS_CERT_DIR=$WORK/certs"
    echo "REGISTRATION=open"
    echo "ALERT_WEBHOOK_URL=http://alert-sink:5001/alerts"
} > .env
mkdir -p "$WORK/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$WORK/certs/privkey.pem" -out "$WORK/certs/fullchain.pem" 2>/dev/null
chmod 644 "$WORK/certs/"*.pem
export AINATIVE_IMAGE=ainative:test AINATIVE_HUB_IMAGE=ainative-hub:test AINATIVE_BASE_IMAGE=$BASE
export HTTPS_PUBLISH=127.0.0.1:$PORT HTTP_PUBLISH=127.0.0.1:$((PORT + 1))
$COMPOSE up -d --no-build > "$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; exit 1; }
for _ in $(seq 150); do  # the hub's page and the API's health, both through nginx
    curl -ksf -o /dev/null "https://127.0.0.1:$PORT/hub/login" \
        && curl -ksf -o /dev/null "https://127.0.0.1:$PORT/api/v1/health" && break
    sleep 2
done
phase up "$t"

# --- checks ---------------------------------------------------------------------------
t=$(date +%s)
PY=${PYTHON:-$ROOT/.venv/bin/python}
COMPOSE_TEST_URL=https://127.0.0.1:$PORT COMPOSE_TEST_T0=$t PYTHONWARNINGS=ignore \
    "$PY" deploy/compose-test/check.py
phase checks "$t"
echo "[compose-test] passed"
