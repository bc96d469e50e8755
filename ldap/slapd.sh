#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Start and stop a throw-away OpenLDAP slapd for tests, the demo and
# benchmarks. Everything lives in WORKDIR: the cn=config directory, the mdb
# database, the pid file, the log and an ldapi socket. The system's slapd
# (/etc/ldap/slapd.d, /var/lib/ldap, port 389) is neither read nor changed;
# only the schema files in /etc/ldap/schema and the modules in /usr/lib/ldap
# are read. systemd is not needed.
#
# Usage:
#   ldap/slapd.sh start WORKDIR [LDIF...]   build, load, start; print KEY=VALUE
#   ldap/slapd.sh stop WORKDIR              stop the instance in WORKDIR
#
# "start" loads the given LDIF files with slapadd (default: ldap/demo.ldif).
# The first entry of the first file is the database suffix (the base DN).
# On success it prints these lines on stdout, one KEY=VALUE a line, and
# writes the same lines to WORKDIR/slapd.env:
#   LDAP_URL, LDAP_HOST, LDAP_PORT, LDAP_PID, LDAP_BASE, LDAP_ADMIN_DN,
#   LDAP_ADMIN_PASSWORD, LDAP_LDAPI_URL (empty if the socket path would be
#   too long), LDAP_WORKDIR, LDAP_LOG
# Progress and errors go to stderr.
#
# Settings from the environment (all optional):
#   NC_COOP_LDAP_PORT            fixed port (default: a free one, chosen at random)
#   NC_COOP_LDAP_ADMIN_PASSWORD  rootdn password (default: admin-demo-password)
#   NC_COOP_LDAP_LOGLEVEL        slapd -d level written to WORKDIR/slapd.log
#                                (default: stats; "none" for benchmarks)
#   NC_COOP_LDAP_MAXSIZE         mdb map size in bytes (default: 4 GiB, sparse)
#   NC_COOP_SLAPD                slapd binary (default: /usr/sbin/slapd)
#   NC_COOP_LDAP_SCHEMA_DIR      system schema LDIFs (default: /etc/ldap/schema)
#   NC_COOP_LDAP_MODULE_DIR      slapd modules (default: /usr/lib/ldap)
#
# Needs Debian's (or Ubuntu's) slapd and ldap-utils:
#   DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils
# On Ubuntu, AppArmor confines /usr/sbin/slapd to /etc/ldap and /var/lib/ldap,
# so a WORKDIR elsewhere needs "aa-complain /usr/sbin/slapd" first.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SLAPD="${NC_COOP_SLAPD:-/usr/sbin/slapd}"
SBIN_DIR="$(dirname "$SLAPD")"
SLAPADD="$SBIN_DIR/slapadd"
SLAPMODIFY="$SBIN_DIR/slapmodify"
SLAPPASSWD="$SBIN_DIR/slappasswd"
SCHEMA_DIR="${NC_COOP_LDAP_SCHEMA_DIR:-/etc/ldap/schema}"
MODULE_DIR="${NC_COOP_LDAP_MODULE_DIR:-/usr/lib/ldap}"
ADMIN_PASSWORD="${NC_COOP_LDAP_ADMIN_PASSWORD:-admin-demo-password}"
LOGLEVEL="${NC_COOP_LDAP_LOGLEVEL:-stats}"
MAXSIZE="${NC_COOP_LDAP_MAXSIZE:-4294967296}"
HOST=127.0.0.1
# The base DN that ldap/acl.ldif is written for.
TEMPLATE_BASE="dc=coop,dc=example"

# Keep ~/.ldaprc, /etc/ldap/ldap.conf and LDAP* variables away from our
# client calls (ldapwhoami); they could point at TLS files or another server.
export LDAPNOINIT=1

die() {
    echo "slapd.sh: $*" >&2
    exit 1
}

log() {
    echo "slapd.sh: $*" >&2
}

usage() {
    sed -n '/^# Usage:/,/^# "start"/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

require_tools() {
    local tool
    for tool in "$SLAPD" "$SLAPADD" "$SLAPMODIFY" "$SLAPPASSWD"; do
        [[ -x "$tool" ]] || die "$tool not found; install Debian's slapd package"
    done
    command -v ldapwhoami >/dev/null || die "ldapwhoami not found; install ldap-utils"
    for tool in core cosine inetorgperson; do
        [[ -r "$SCHEMA_DIR/$tool.ldif" ]] || die "$SCHEMA_DIR/$tool.ldif not found"
    done
    [[ -e "$MODULE_DIR/back_mdb.la" ]] || die "$MODULE_DIR/back_mdb.la not found"
}

# Is PID a slapd that serves WORKDIR? Guards against a stale pid file whose
# number now belongs to another process. Zombies count as gone.
is_our_slapd() {
    local pid="$1" workdir="$2" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state="$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)"
    [[ "$state" != Z ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -Fqx -- "$workdir/slapd.d"
}

# Print the first DN of an LDIF file (folded lines and "dn::" handled).
first_dn() {
    local dn
    dn="$(awk '
        /^#/ { next }
        /^ / { if (found) { line = line substr($0, 2) }; next }
        { if (found) { print line; exit } }
        /^dn::? / { found = 1; line = $0; next }
        END { if (found) print line }
    ' "$1" | head -n 1)"
    case "$dn" in
        "dn:: "*) printf '%s' "${dn#dn:: }" | base64 -d ;;
        "dn: "*) printf '%s' "${dn#dn: }" ;;
        *) return 1 ;;
    esac
}

# Percent-encode a socket path for an ldapi:// URL.
ldapi_url() {
    # Byte by byte, so that non-ASCII characters are encoded as UTF-8 bytes.
    local LC_ALL=C
    local path="$1" out="" i ch
    for ((i = 0; i < ${#path}; i++)); do
        ch="${path:i:1}"
        case "$ch" in
            [A-Za-z0-9._~-]) out+="$ch" ;;
            *) out+="$(printf '%%%02X' "'$ch")" ;;
        esac
    done
    printf 'ldapi://%s' "$out"
}

# Is a TCP port in LISTEN state on this machine? (Saves a failed start; the
# bind error after a race is handled by the caller.)
port_listening() {
    local hex
    hex="$(printf ':%04X ' "$1")"
    awk -v p="$hex" '$4 == "0A" && index($2 " ", p) { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Does process PID own the socket listening on 127.0.0.1:PORT? Without this
# check, another server on the same port could answer the readiness probe
# while our slapd is still failing to bind.
owns_listener() {
    local pid="$1" port="$2" inode fd
    while read -r inode; do
        for fd in "/proc/$pid/fd/"*; do
            [[ "$(readlink "$fd" 2>/dev/null)" == "socket:[$inode]" ]] && return 0
        done
    done < <(awk -v p="0100007F:$(printf '%04X' "$port")" \
        '$2 == p && $4 == "0A" { print $10 }' /proc/net/tcp)
    return 1
}

write_config() {
    local workdir="$1" base="$2" admin_hash="$3" schema
    cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $workdir/slapd.pid
olcArgsFile: $workdir/slapd.args

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $MODULE_DIR
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}syncprov

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

EOF
    for schema in "$SCHEMA_DIR/core.ldif" "$SCHEMA_DIR/cosine.ldif" \
        "$SCHEMA_DIR/inetorgperson.ldif" "$SCRIPT_DIR/schema/nc_coop.ldif"; do
        cat "$schema"
        printf '\n'
    done
    # The root DSE and the subschema entry are readable by anyone: clients
    # read them to discover controls (paged results, syncrepl) and the schema.
    # The config database is writable through the ldapi socket by the user who
    # ran this script (SASL EXTERNAL), e.g. to change limits in a benchmark.
    # olcSizeLimit 500 is slapd's default, spelled out: it is the trap that
    # the sync account must be exempt from (see ldap/acl.ldif).
    cat <<EOF
dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=Subschema" by * read
olcSizeLimit: 500

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact="gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth" manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $base
olcRootDN: cn=admin,$base
olcRootPW: $admin_hash
olcDbDirectory: $workdir/db
olcDbMaxSize: $MAXSIZE
olcDbNoSync: TRUE
olcSizeLimit: 500
olcTimeLimit: 3600
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: mail eq
olcDbIndex: cn eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcDbIndex: member eq
olcDbIndex: modifyTimestamp eq
olcDbIndex: createTimestamp eq
olcDbIndex: ncCoopMemberNumber eq

dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov
olcSpCheckpoint: 100 10
olcSpSessionlog: 10000
EOF
}

cmd_start() {
    [[ $# -ge 1 ]] || usage
    local workdir="$1"
    shift
    local ldifs=("$@")
    [[ ${#ldifs[@]} -gt 0 ]] || ldifs=("$SCRIPT_DIR/demo.ldif")

    require_tools
    mkdir -p "$workdir"
    workdir="$(cd "$workdir" && pwd -P)"
    local f
    for f in "${ldifs[@]}"; do
        [[ -r "$f" ]] || die "cannot read $f"
    done

    if [[ -f "$workdir/slapd.pid" ]] && is_our_slapd "$(cat "$workdir/slapd.pid")" "$workdir"; then
        die "a slapd is already running for $workdir; run: $0 stop $workdir"
    fi

    local base
    base="$(first_dn "${ldifs[0]}")" || die "no dn: line in ${ldifs[0]}"

    # Start from scratch, but only touch what this script creates.
    rm -rf "$workdir/slapd.d" "$workdir/db"
    rm -f "$workdir/config.ldif" "$workdir/acl.ldif" "$workdir/data.ldif" \
        "$workdir/slapd.log" "$workdir/slapd.env" "$workdir/slapd.pid" \
        "$workdir/slapd.args" "$workdir/ldapi"
    mkdir -p "$workdir/slapd.d" "$workdir/db"
    chmod 700 "$workdir/slapd.d" "$workdir/db"

    local admin_hash
    admin_hash="$("$SLAPPASSWD" -h '{SSHA}' -s "$ADMIN_PASSWORD")"
    (umask 077 && write_config "$workdir" "$base" "$admin_hash" >"$workdir/config.ldif")
    "$SLAPADD" -n 0 -F "$workdir/slapd.d" -l "$workdir/config.ldif" >&2 ||
        die "slapadd of the config failed (see $workdir/config.ldif)"

    # The ACL file is written for dc=coop,dc=example; put the real base in.
    local acl
    acl="$(cat "$SCRIPT_DIR/acl.ldif")"
    printf '%s\n' "${acl//"$TEMPLATE_BASE"/"$base"}" >"$workdir/acl.ldif"
    "$SLAPMODIFY" -n 0 -F "$workdir/slapd.d" -l "$workdir/acl.ldif" >&2 ||
        die "slapmodify of the ACLs failed (see $workdir/acl.ldif)"

    # One data file; an empty line keeps the last entry of one file apart
    # from the first entry of the next.
    for f in "${ldifs[@]}"; do
        cat "$f"
        printf '\n'
    done >"$workdir/data.ldif"
    # -q: fewer consistency checks (fast bulk load); -w: write the contextCSN
    # that syncprov needs.
    "$SLAPADD" -q -w -F "$workdir/slapd.d" -b "$base" -l "$workdir/data.ldif" >&2 ||
        die "slapadd of the data failed (see $workdir/data.ldif)"

    # The socket path must fit into sun_path (108 bytes).
    local socket="$workdir/ldapi" ldapi=""
    if [[ ${#socket} -lt 100 ]]; then
        ldapi="$(ldapi_url "$socket")"
    fi

    local port="" pid="" url="" ready=""
    for _ in $(seq 1 20); do
        if [[ -n "${NC_COOP_LDAP_PORT:-}" ]]; then
            port="$NC_COOP_LDAP_PORT"
        else
            # Below the Linux ephemeral range (32768-60999), so that client
            # sockets do not take it between the check and the bind.
            port=$((20000 + RANDOM % 12000))
            if port_listening "$port"; then
                continue
            fi
        fi
        url="ldap://$HOST:$port"
        # -d keeps slapd in the foreground, logging to slapd.log; "&" leaves it
        # running after this script exits. slapd binds its listeners before
        # anything else, so a port clash makes it exit at once.
        "$SLAPD" -d "$LOGLEVEL" -F "$workdir/slapd.d" -h "$url${ldapi:+ $ldapi}" \
            </dev/null >>"$workdir/slapd.log" 2>&1 &
        pid=$!
        ready=""
        for _ in $(seq 1 200); do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            if owns_listener "$pid" "$port" &&
                ldapwhoami -x -H "$url" -o nettimeout=1 >/dev/null 2>&1; then
                ready=1
                break
            fi
            sleep 0.05
        done
        if [[ -n "$ready" ]]; then
            break
        fi
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            die "slapd did not answer on $url within 10 s; log: $workdir/slapd.log"
        fi
        if [[ -z "${NC_COOP_LDAP_PORT:-}" ]] &&
            grep -q "Address already in use" "$workdir/slapd.log"; then
            log "port $port is taken, trying another"
            : >"$workdir/slapd.log"
            continue
        fi
        tail -n 20 "$workdir/slapd.log" >&2 || true
        die "slapd exited during start; log: $workdir/slapd.log"
    done
    [[ -n "$ready" ]] || die "no free port found"

    # slapd writes its pid file itself; ours is the same number, written
    # here too so that "stop" works even if slapd has not written it yet.
    echo "$pid" >"$workdir/slapd.pid.tmp"
    mv -f "$workdir/slapd.pid.tmp" "$workdir/slapd.pid"

    {
        echo "LDAP_URL=$url"
        echo "LDAP_HOST=$HOST"
        echo "LDAP_PORT=$port"
        echo "LDAP_PID=$pid"
        echo "LDAP_BASE=$base"
        echo "LDAP_ADMIN_DN=cn=admin,$base"
        echo "LDAP_ADMIN_PASSWORD=$ADMIN_PASSWORD"
        echo "LDAP_LDAPI_URL=$ldapi"
        echo "LDAP_WORKDIR=$workdir"
        echo "LDAP_LOG=$workdir/slapd.log"
    } | tee "$workdir/slapd.env"
}

cmd_stop() {
    [[ $# -eq 1 ]] || usage
    local workdir="$1" pid
    [[ -d "$workdir" ]] || die "no such directory: $workdir"
    workdir="$(cd "$workdir" && pwd -P)"
    if [[ ! -f "$workdir/slapd.pid" ]]; then
        log "no slapd.pid in $workdir; nothing to stop"
        return 0
    fi
    pid="$(cat "$workdir/slapd.pid")"
    if ! is_our_slapd "$pid" "$workdir"; then
        log "slapd $pid for $workdir is not running"
        rm -f "$workdir/slapd.pid"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 200); do
        is_our_slapd "$pid" "$workdir" || break
        sleep 0.05
    done
    if is_our_slapd "$pid" "$workdir"; then
        log "slapd $pid did not stop within 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$workdir/slapd.pid"
    log "stopped slapd $pid"
}

main() {
    [[ $# -ge 1 ]] || usage
    local cmd="$1"
    shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
