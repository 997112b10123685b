#!/usr/bin/env bash
# Throwaway PostgreSQL server for the engine tests, on 127.0.0.1 with a free port.
#   source .ci/postgres.sh && crm_pg_start   # installs postgresql when missing, initdb, starts,
#                                            # exports CRM_METRICS_PG_* for profiles.yml
#   crm_pg_stop                              # stops the server and removes its data folder
# Runs the server as user `postgres` when started as root (postgres refuses to run as root).

crm_pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

crm_pg_start() {
    local bindir
    if ! bindir=$(crm_pg_bindir); then
        echo "PostgreSQL not found: installing the distribution's package" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bindir=$(crm_pg_bindir)
    fi
    local run_as=()
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        run_as=(runuser -u postgres --)
    fi
    CRM_PG_DIR=$(mktemp -d /tmp/crm-pg.XXXXXX)
    [ "${#run_as[@]}" -gt 0 ] && chown postgres "$CRM_PG_DIR"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    local password
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$password" > "$CRM_PG_DIR/pwfile"
    [ "${#run_as[@]}" -gt 0 ] && chown postgres "$CRM_PG_DIR/pwfile"
    "${run_as[@]}" "$bindir/initdb" -D "$CRM_PG_DIR/data" -U crm_metrics --pwfile="$CRM_PG_DIR/pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
    "${run_as[@]}" "$bindir/pg_ctl" -D "$CRM_PG_DIR/data" -l "$CRM_PG_DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$CRM_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    export CRM_PG_DIR CRM_PG_BINDIR="$bindir"
    export CRM_METRICS_PG_HOST=127.0.0.1 CRM_METRICS_PG_PORT="$port" CRM_METRICS_PG_USER=crm_metrics
    export CRM_METRICS_PG_PASSWORD="$password" CRM_METRICS_PG_DBNAME=postgres
    echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

crm_pg_stop() {
    [ -n "${CRM_PG_DIR:-}" ] && [ -d "$CRM_PG_DIR" ] || return 0
    local run_as=()
    [ "$(id -u)" -eq 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$CRM_PG_BINDIR/pg_ctl" -D "$CRM_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CRM_PG_DIR"
}
