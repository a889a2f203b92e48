#!/usr/bin/env bash
# A project-local PostgreSQL for `make run`, `make test` and `make bench`.
#
#   scripts/pg.sh start <dir> <port> [--fresh] [--fast] [--tls]   start (initialising on first use)
#   scripts/pg.sh stop  <dir>                                     stop
#   scripts/pg.sh url   <dir> <port> [database]                   print a connection URL
#   scripts/pg.sh tls-dir <dir>                                   where --tls keeps its certificates
#   scripts/pg.sh bin                                             PostgreSQL's bin directory
#   scripts/pg.sh dir <dir>                                       where the cluster and its log live
#
# --fresh wipes the cluster first (the test suite wants no leftovers);
# --fast turns fsync off (tests only: a crash loses data);
# --tls serves TLS with a certificate for localhost/127.0.0.1 signed by a
#   local CA (<tls-dir>/ca.crt); <tls-dir>/other-ca.crt is an unrelated CA.
# Installs Debian's postgresql when initdb is missing; runs the server as the
# `postgres` user when invoked as root (initdb and postgres refuse root).
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "pg.sh: initdb not found; installing postgresql with apt-get" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$found"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives in <dir> unless the postgres user cannot reach it (a
# checkout under /root, say); then in a /tmp directory derived from <dir>.
resolve_dir() {
  local dir abs
  dir=$1
  mkdir -p "$dir"
  abs=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$abs"
    if ! runuser -u postgres -- test -w "$abs"; then
      abs=/tmp/ghfe-pg-$(echo "$abs" | sha256sum | cut -c1-12)
      mkdir -p "$abs" && chown postgres: "$abs" && chmod 700 "$abs"
    fi
  fi
  echo "$abs"
}

# A local CA, a server certificate it signed, and an unrelated CA.
make_certs() {
  local tls=$1/tls
  [ -f "$tls/server.crt" ] && return
  if ! command -v openssl >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl >&2
  fi
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ghfe test CA" -keyout ca.key -out ca.crt
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ghfe other CA" -keyout other-ca.key -out other-ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
      "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt
  ) >"$1/openssl.log" 2>&1 || { cat "$1/openssl.log" >&2; die "could not make TLS certificates"; }
  chmod 600 "$tls/server.key"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$tls/server.key" "$tls/server.crt"; fi
}

start() {
  local dir=$1 port=$2 fresh=false fast=false tls=false bin data
  shift 2
  for flag in "$@"; do
    case $flag in --fresh) fresh=true ;; --fast) fast=true ;; --tls) tls=true ;; *) die "unknown flag $flag" ;; esac
  done
  bin=$(pg_bin)
  dir=$(resolve_dir "$dir")
  data=$dir/data
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    $fresh || { echo "pg.sh: PostgreSQL already running on port $port ($data)"; return; }
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  if $fresh; then rm -rf "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  local options="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
  if $fast; then options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  if $tls; then
    make_certs "$dir"
    options="$options -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key"
  fi
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "$options" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start (port $port in use?)"; }
  echo "pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($data)"
}

stop() {
  local dir bin
  dir=$(resolve_dir "$1")
  bin=$(pg_bin)
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    echo "pg.sh: stopped ($dir/data)"
  fi
}

# Creates the database if needed and prints its URL.
url() {
  local port=$2 database=${3:-ghfe} bin
  bin=$(pg_bin)
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc \
      "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
  fi
  echo "postgres://postgres@127.0.0.1:$port/$database"
}

case ${1:-} in
  start) [ $# -ge 3 ] || die "usage: pg.sh start <dir> <port> [--fresh] [--fast]"; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: pg.sh stop <dir>"; stop "$2" ;;
  url) [ $# -ge 3 ] || die "usage: pg.sh url <dir> <port> [database]"; shift; url "$@" ;;
  tls-dir) [ $# -eq 2 ] || die "usage: pg.sh tls-dir <dir>"; echo "$(resolve_dir "$2")/tls" ;;
  bin) pg_bin ;;
  dir) [ $# -eq 2 ] || die "usage: pg.sh dir <dir>"; resolve_dir "$2" ;;
  *) die "usage: pg.sh start|stop|url|tls-dir|bin|dir …" ;;
esac
