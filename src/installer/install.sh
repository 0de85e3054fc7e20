#!/bin/sh
# install.sh - installs one container runtime (gVisor, Kata, crun, ...) onto a
# Gardener node and registers its handlers with containerd.
#
# It runs in a privileged init container of a per-pool DaemonSet (hostPID, the
# host's directories mounted under HOST_ROOT). It copies the runtime's files
# from ARTIFACT_DIR to the host, registers the handlers with containerd where the
# node's containerd reads them (in config.toml, or in an owned drop-in for a
# version 3+ file on containerd 2.x), and restarts containerd once, only when
# something changed, proving its CRI plugin came back. It never removes
# anything: a terminating pod leaves the node as it is. Only the explicit
# uninstall mode removes a runtime (its own DaemonSet runs it).
#
# Usage: install.sh [install|verify|watch|uninstall|verify-removed]
#   install  (default) install the files, register the handlers, restart
#            containerd when something changed
#   verify   read-only check: exit 0 when files and registration are in place
#            and match, non-zero with one line naming the first difference
#   watch    idle until SIGTERM/SIGINT (the long-running container's command);
#            exits promptly and never uninstalls anything
#   uninstall
#            remove the handlers from containerd's config (config.toml, the
#            drop-in, the import install added), the runtime config, restart
#            containerd once when that changed anything, then remove the
#            runtime's files except KEEP_FILES
#   verify-removed
#            read-only check: exit 0 when nothing of the runtime is left,
#            non-zero with one line naming what remains
#
# Environment. Every value is data: it is never spliced into shell code, awk
# code or TOML text. Names, handlers and paths are validated and refused when
# they do not match their format; table values are parsed as TOML and
# re-rendered, so quotes, $(...), backticks and newlines stay inert.
#   HOST_ROOT          where the host's filesystem is mounted (default /host);
#                      every host path below is used as $HOST_ROOT$path
#   ARTIFACT_DIR       where the runtime's files are (default /artifacts)
#   CONTAINERD_RESTART_COMMAND
#                      optional; run with `sh -c` to restart containerd, wait
#                      and prove it came back (non-zero: roll back). By
#                      default: nsenter -t 1 -m -u -i -n -p -- systemctl
#                      restart containerd, wait up to 60 s until `systemctl
#                      is-active --quiet containerd` succeeds, then until the
#                      host's `ctr plugins ls` shows the CRI plugin ok, and
#                      check the handlers in `containerd config dump`
#   CONTAINERD_VERSION_COMMAND
#                      optional; run with `sh -c`, prints what `containerd
#                      --version` prints. By default: nsenter -t 1 -m --
#                      containerd --version (the host's containerd). With the
#                      config.toml version it decides where the handlers go
#   CONTAINERD_CONFIG_CHECK_COMMAND
#                      optional; run with `sh -c` and the candidate
#                      config.toml as $1 before it replaces config.toml; a
#                      non-zero exit aborts the install (e.g.
#                      'containerd --config "$1" config dump >/dev/null')
#   RUNTIME_NAME       required; the runtime type, a lowercase DNS label
#                      (gvisor, kata-containers); names the drop-in
#                      <RUNTIME_NAME>.toml and appears in every log line
#   POOL_NAME          the worker pool, a lowercase DNS label (logs only)
#   BINARY_PATH        required; host directory for the files (e.g.
#                      /var/bin/containerruntimes), following the host
#                      directory rule (see is_host_dir)
#   RUNTIME_FILES      required; newline-separated basenames that must exist
#                      in ARTIFACT_DIR; each is installed to
#                      $HOST_ROOT$BINARY_PATH/<name> (mode 0755) by writing a
#                      temp file in that directory and renaming it; files with
#                      the same bytes are not touched
#   RUNTIME_HANDLERS   required; space-separated handler names (DNS labels)
#   RUNTIME_TABLES     required; TOML tables whose headers are relative to
#                      containerd's CRI runtimes table, the first key segment
#                      being a handler ([runsc], [runsc.options]); values are
#                      strings, integers, booleans (or arrays of them)
#   RUNTIME_CONFIG_PATH, RUNTIME_CONFIG_CONTENT
#                      optional, together: an absolute host path and the
#                      content of a file the runtime reads (e.g.
#                      /etc/containerd/runsc.toml); written atomically when the
#                      content differs (a final newline is added when missing)
#   CONTAINERD_CONFIG  default /etc/containerd/config.toml; must exist
#   CONTAINERD_DROPIN_DIR
#                      default /etc/containerd/conf.d (version 3+ only); when
#                      install adds "<dir>/*.toml" to config.toml's imports it
#                      records that in <dir of CONTAINERD_CONFIG>/
#                      shoot-runtimes.added-import (persistent; containerd
#                      ignores it), so uninstall removes only an import it added
#   LOCK_FILE          default /run/shoot-runtimes/containerd.lock; a flock(1)
#                      lock held around every read-modify-write and the
#                      restart; its directory also holds the marker
#                      <RUNTIME_NAME>.restart-pending, present while a change
#                      has been written but containerd was not yet restarted
#   KEEP_FILES         uninstall only; newline-separated basenames of
#                      RUNTIME_FILES that another runtime on the pool still
#                      uses: they stay in BINARY_PATH
#   TMPDIR             not used: temporary files live next to their targets
#
# Tools: POSIX sh and busybox applets (awk, cmp, flock, grep, mktemp, nsenter,
# ...), and toml.awk, the TOML parser, next to this script.
set -eu
# values from the environment are never patterns
set -f

DEFAULT_RESTART_TIMEOUT=60
# 1 in the modes that remove a runtime (uninstall, verify-removed)
REMOVING=0
LOCK_TIMEOUT=600

# --- logging: one line per decision, on stderr --------------------------------
LOG_CTX='runtime=? pool=?'
info() { printf '[INFO]  %s %s\n' "$LOG_CTX" "$*" >&2; }
warn() { printf '[WARN]  %s %s\n' "$LOG_CTX" "$*" >&2; }
fatal() {
    printf '[FATAL] %s %s\n' "$LOG_CTX" "$*" >&2
    exit 1
}

# printable rendering of an untrusted value for an error message
shown() {
    printf '%s' "$1" | tr -c 'A-Za-z0-9._/:@+=-' '?' | cut -c 1-80
}

# --- temp files and rollback ----------------------------------------------------
# TMP_FILES: paths removed on exit. ROLLBACK: "target<TAB>saved" lines, where
# saved is a copy of the original (or "-" when the target did not exist);
# restored on any exit before a successful restart. All paths are validated
# (no whitespace) or made by mktemp.
TMP_FILES=''
ROLLBACK=''
COMMITTED=0
TAB=$(printf '\t')
NL='
'

add_tmp() { TMP_FILES="$TMP_FILES$1$NL"; }

cleanup() {
    status=$?
    if [ "$COMMITTED" = 0 ] && [ -n "$ROLLBACK" ]; then
        rollback
    fi
    old_ifs=$IFS
    IFS=$NL
    for f in $TMP_FILES; do
        rm -f "$f" 2>/dev/null || :
    done
    IFS=$old_ifs
    exit "$status"
}

# restores every file registered in ROLLBACK, newest first
rollback() {
    entries=$ROLLBACK
    ROLLBACK=''
    reversed=''
    old_ifs=$IFS
    IFS=$NL
    for e in $entries; do reversed="$e$NL$reversed"; done
    for e in $reversed; do
        target=${e%%"$TAB"*}
        saved=${e#*"$TAB"}
        if [ "$saved" = - ]; then
            rm -f "$target" || warn "action=rollback result=failed file=$target"
        else
            mv -f "$saved" "$target" || warn "action=rollback result=failed file=$target"
        fi
        info "action=rollback file=${target#"$HOST_ROOT"}"
    done
    IFS=$old_ifs
}

# --- validation ---------------------------------------------------------------------
is_dns_label() {
    case $1 in
    '' | -* | *- | *[!a-z0-9-]*) return 1 ;;
    esac
    [ "${#1}" -le 63 ]
}

is_safe_path() {
    case $1 in
    /*) ;;
    *) return 1 ;;
    esac
    case $1 in
    *[!A-Za-z0-9._/+@:-]*) return 1 ;;
    esac
    case "$1/" in
    */../* | */./*) return 1 ;;
    esac
    return 0
}

is_safe_basename() {
    case $1 in
    '' | .* | *[!A-Za-z0-9._+-]*) return 1 ;;
    esac
    return 0
}

# the host directory rule (docs/installer.md; synth checks the same): a host directory the
# installer writes into is absolute and normalized, of A-Za-z0-9._-/ only, and neither the
# root, /run, /var nor inside a system directory
is_host_dir() {
    case $1 in
    /*) ;;
    *) return 1 ;;
    esac
    case $1 in
    *[!A-Za-z0-9._/-]* | */) return 1 ;;
    esac
    case "$1/" in
    *//* | */./* | */../*) return 1 ;;
    esac
    case $1 in
    /run | /var | /etc | /etc/* | /usr | /usr/* | /bin | /bin/* | /sbin | /sbin/* | /lib* | /boot | /boot/* | \
        /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /var/lib | /var/lib/*) return 1 ;;
    esac
    return 0
}

# require_host_dir NAME VALUE
require_host_dir() {
    is_host_dir "$2" || fatal "invalid $1 '$(shown "$2")': a host directory the installer writes must be absolute and normalized (A-Za-z0-9._- and /, no empty, . or .. segment, no trailing /), not /, /run or /var, and not inside /etc, /usr, /bin, /sbin, /lib*, /boot, /proc, /sys, /dev or /var/lib"
}

# the basename rule: a runtime file never shadows containerd's own binaries in the install directory
is_foreign_binary_name() {
    case $1 in
    runc | containerd | ctr | containerd-shim | containerd-shim-runc-*) return 1 ;;
    esac
    return 0
}

require_path() {
    # $1 variable name, $2 value
    is_safe_path "$2" || fatal "invalid $1 '$(shown "$2")': want an absolute path of letters, digits and ._/+@:-"
}

load_env() {
    HOST_ROOT=${HOST_ROOT:-/host}
    ARTIFACT_DIR=${ARTIFACT_DIR:-/artifacts}
    CONTAINERD_CONFIG=${CONTAINERD_CONFIG:-/etc/containerd/config.toml}
    CONTAINERD_DROPIN_DIR=${CONTAINERD_DROPIN_DIR:-/etc/containerd/conf.d}
    LOCK_FILE=${LOCK_FILE:-/run/shoot-runtimes/containerd.lock}
    RUNTIME_NAME=${RUNTIME_NAME:-}
    POOL_NAME=${POOL_NAME:-unknown}
    BINARY_PATH=${BINARY_PATH:-}
    RUNTIME_FILES=${RUNTIME_FILES:-}
    RUNTIME_HANDLERS=${RUNTIME_HANDLERS:-}
    RUNTIME_TABLES=${RUNTIME_TABLES:-}
    CONTAINERD_RESTART_COMMAND=${CONTAINERD_RESTART_COMMAND:-}
    CONTAINERD_CONFIG_CHECK_COMMAND=${CONTAINERD_CONFIG_CHECK_COMMAND:-}
    CONTAINERD_VERSION_COMMAND=${CONTAINERD_VERSION_COMMAND:-}
    REGISTRATION=''
    PATH_VERSION=''
    RUNC_KEPT=''
    KEEP_FILES=${KEEP_FILES:-}
}

validate_env() {
    is_dns_label "$RUNTIME_NAME" || fatal "invalid RUNTIME_NAME '$(shown "$RUNTIME_NAME")': want a lowercase DNS label"
    is_dns_label "$POOL_NAME" || fatal "invalid POOL_NAME '$(shown "$POOL_NAME")': want a lowercase DNS label"
    LOG_CTX="runtime=$RUNTIME_NAME pool=$POOL_NAME"

    case $HOST_ROOT in
    /) HOST_ROOT='' ;;
    *) HOST_ROOT=${HOST_ROOT%/} ;;
    esac
    [ -z "$HOST_ROOT" ] || require_path HOST_ROOT "$HOST_ROOT"
    require_path ARTIFACT_DIR "$ARTIFACT_DIR"
    require_host_dir BINARY_PATH "$BINARY_PATH"
    require_path CONTAINERD_CONFIG "$CONTAINERD_CONFIG"
    require_path CONTAINERD_DROPIN_DIR "$CONTAINERD_DROPIN_DIR"
    require_path LOCK_FILE "$LOCK_FILE"
    require_host_dir "LOCK_FILE's directory" "${LOCK_FILE%/*}"
    CONTAINERD_DROPIN_DIR=${CONTAINERD_DROPIN_DIR%/}

    [ -n "$RUNTIME_FILES" ] || fatal "RUNTIME_FILES is empty: want newline-separated file names"
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        is_safe_basename "$name" || fatal "invalid file name '$(shown "$name")' in RUNTIME_FILES: want letters, digits and ._+- (not starting with a dot)"
        is_foreign_binary_name "$name" || fatal "file name $name in RUNTIME_FILES would shadow containerd's own binaries (runc, containerd, ctr, containerd-shim, containerd-shim-runc-*) in $BINARY_PATH; refusing"
    done
    IFS=$old_ifs

    [ -n "$RUNTIME_HANDLERS" ] || fatal "RUNTIME_HANDLERS is empty: want space-separated handler names"
    case $RUNTIME_HANDLERS in
    *[!a-z0-9\ -]*) fatal "invalid RUNTIME_HANDLERS '$(shown "$RUNTIME_HANDLERS")': want space-separated lowercase DNS labels" ;;
    esac
    HANDLERS=''
    for h in $RUNTIME_HANDLERS; do
        is_dns_label "$h" || fatal "invalid handler '$(shown "$h")' in RUNTIME_HANDLERS: want a lowercase DNS label"
        [ "$h" != runc ] || fatal "handler runc in RUNTIME_HANDLERS is the node's default runtime; refusing to replace it"
        case " $HANDLERS " in
        *" $h "*) fatal "handler $h appears twice in RUNTIME_HANDLERS" ;;
        esac
        HANDLERS="${HANDLERS:+$HANDLERS }$h"
    done
    [ -n "$HANDLERS" ] || fatal "RUNTIME_HANDLERS is empty: want space-separated handler names"
    # uninstall and verify-removed do not read RUNTIME_TABLES (nor need RUNTIME_CONFIG_CONTENT)
    [ "$REMOVING" = 1 ] || [ -n "$RUNTIME_TABLES" ] || fatal "RUNTIME_TABLES is empty: want the handlers' TOML tables"

    old_ifs=$IFS
    IFS=$NL
    for name in $KEEP_FILES; do
        is_safe_basename "$name" || fatal "invalid file name '$(shown "$name")' in KEEP_FILES: want letters, digits and ._+- (not starting with a dot)"
    done
    IFS=$old_ifs

    if [ -n "${RUNTIME_CONFIG_PATH+x}" ] || [ -n "${RUNTIME_CONFIG_CONTENT+x}" ]; then
        [ -n "${RUNTIME_CONFIG_PATH:-}" ] || fatal "RUNTIME_CONFIG_CONTENT is set but RUNTIME_CONFIG_PATH is not: set both or neither"
        [ "$REMOVING" = 1 ] || [ -n "${RUNTIME_CONFIG_CONTENT+x}" ] || fatal "RUNTIME_CONFIG_PATH is set but RUNTIME_CONFIG_CONTENT is not: set both or neither"
        require_path RUNTIME_CONFIG_PATH "$RUNTIME_CONFIG_PATH"
        [ "$RUNTIME_CONFIG_PATH" != "$CONTAINERD_CONFIG" ] || fatal "RUNTIME_CONFIG_PATH must not be CONTAINERD_CONFIG ($CONTAINERD_CONFIG)"
        case $RUNTIME_CONFIG_PATH in
        "$CONTAINERD_DROPIN_DIR"/*) fatal "RUNTIME_CONFIG_PATH $RUNTIME_CONFIG_PATH must not be inside CONTAINERD_DROPIN_DIR (containerd would import it)" ;;
        "$BINARY_PATH"/*) fatal "RUNTIME_CONFIG_PATH $RUNTIME_CONFIG_PATH must not be inside BINARY_PATH" ;;
        esac
        HAVE_RUNTIME_CONFIG=1
    else
        HAVE_RUNTIME_CONFIG=0
    fi

    [ -f "$TOML_AWK" ] || fatal "the TOML parser $(shown "$TOML_AWK") is missing: toml.awk ships next to install.sh"

    CONFIG_FILE="$HOST_ROOT$CONTAINERD_CONFIG"
    DROPIN_FILE="$HOST_ROOT$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml"
    IMPORT_GLOB="$CONTAINERD_DROPIN_DIR/*.toml"
    STATE_DIR="$HOST_ROOT${LOCK_FILE%/*}"
    PENDING_FILE="$STATE_DIR/$RUNTIME_NAME.restart-pending"
    # what the node's containerd printed for --version at the last install or uninstall
    VERSION_RECORD="$STATE_DIR/containerd.version"
    # persistent (unlike /run): records that install added IMPORT_GLOB to config.toml
    IMPORT_MARKER="$HOST_ROOT${CONTAINERD_CONFIG%/*}/shoot-runtimes.added-import"
}

# --- TOML: the parser lives next to this script, in toml.awk ----------------------------
# found relative to this script's own path, so `sh path/to/install.sh` works from anywhere
case $0 in
*/*) TOML_AWK=${0%/*}/toml.awk ;;
*) TOML_AWK=./toml.awk ;;
esac

# toml MODE [VAR=value ...]: runs the awk program; extra assignments become its
# environment (data only)
toml() {
    mode=$1
    shift
    env LC_ALL=C SR_MODE="$mode" SR_CONFIG="$CONFIG_FILE" SR_HANDLERS="$HANDLERS" \
        SR_GLOB="$IMPORT_GLOB" SR_DROPIN="$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml" \
        RUNTIME_TABLES="$RUNTIME_TABLES" RUNTIME_NAME="$RUNTIME_NAME" \
        SR_PATHV="$PATH_VERSION" SR_REGISTRATION="$REGISTRATION" SR_RUNC_KEPT="$RUNC_KEPT" "$@" \
        awk -f "$TOML_AWK" </dev/null
}

# --- changes and the pending-restart marker ---------------------------------------------
CHANGED=''

# note_change REASON: records a reason for the restart and, before the first
# host change, writes the marker that makes a later run restart containerd even
# when this one dies before it could
note_change() {
    case ",$CHANGED," in
    *",$1,"*) ;;
    *) CHANGED="${CHANGED:+$CHANGED,}$1" ;;
    esac
    if [ ! -e "$PENDING_FILE" ]; then
        mkdir -p "$STATE_DIR" || fatal "cannot create state directory ${STATE_DIR#"$HOST_ROOT"}"
        : >"$PENDING_FILE" || fatal "cannot write ${PENDING_FILE#"$HOST_ROOT"}"
    fi
}

# new_temp TARGET: sets NEW_TEMP to a new temp file next to TARGET (same filesystem, so a
# rename is atomic); its name never ends in .toml (conf.d imports *.toml)
new_temp() {
    NEW_TEMP=$(mktemp "${1%/*}/.${1##*/}.tmp.XXXXXX") || return 1
    add_tmp "$NEW_TEMP"
}

# replace_file TARGET NEW MODE REASON: renames NEW over TARGET, keeping a copy of
# the original for a rollback until containerd restarted successfully
replace_file() {
    if [ -e "$1" ]; then
        new_temp "$1" || fatal "cannot create a temp file next to ${1#"$HOST_ROOT"}"
        saved=$NEW_TEMP
        cp -p "$1" "$saved" || fatal "cannot back up ${1#"$HOST_ROOT"}"
        ROLLBACK="$ROLLBACK$1$TAB$saved$NL"
    else
        ROLLBACK="$ROLLBACK$1$TAB-$NL"
    fi
    [ -z "$4" ] || note_change "$4"
    chmod "$3" "$2" || fatal "cannot set the mode of ${2#"$HOST_ROOT"}"
    mv -f "$2" "$1" || fatal "cannot rename a temp file to ${1#"$HOST_ROOT"}"
}

# --- steps ------------------------------------------------------------------------------

# fails early when a tool the install needs is missing
require_tools() {
    tools='awk cmp cp env flock grep mkdir mktemp mv rm stat timeout tr'
    [ -n "$CONTAINERD_RESTART_COMMAND" ] && [ -n "$CONTAINERD_VERSION_COMMAND" ] || tools="$tools nsenter"
    for tool in $tools; do
        command -v "$tool" >/dev/null 2>&1 || fatal "required tool $tool is missing from PATH"
    done
}

# takes the node-local lock shared by every installer (bounded wait)
acquire_lock() {
    lock="$HOST_ROOT$LOCK_FILE"
    mkdir -p "${lock%/*}" 2>/dev/null || fatal "cannot create lock directory ${LOCK_FILE%/*}"
    (: >>"$lock") 2>/dev/null || fatal "cannot open lock file $LOCK_FILE"
    exec 9>>"$lock"
    flock -n 9 && return 0
    info "action=wait reason=lock-held lock=$LOCK_FILE"
    # flock locks the open file description fd 9 shares with this shell
    timeout "$LOCK_TIMEOUT" flock 9 || fatal "lock $LOCK_FILE still held after ${LOCK_TIMEOUT}s"
}

# sets CONFIG_VERSION from config.toml's top-level version key (absent: 1)
read_config_version() {
    [ -e "$CONFIG_FILE" ] || fatal "containerd config $CONTAINERD_CONFIG does not exist (Gardener's node agent writes it; is HOST_ROOT right?)"
    [ ! -L "$CONFIG_FILE" ] || fatal "containerd config $CONTAINERD_CONFIG is a symlink; refusing to replace it"
    [ -f "$CONFIG_FILE" ] || fatal "containerd config $CONTAINERD_CONFIG is not a regular file"
    CONFIG_VERSION=$(toml version 2>&1) || fatal "cannot read $CONTAINERD_CONFIG: $CONFIG_VERSION"
    case $CONFIG_VERSION in
    [1-4]) ;;
    *) fatal "cannot read $CONTAINERD_CONFIG: unexpected version '$(shown "$CONFIG_VERSION")'" ;;
    esac
}

# prints what the node's containerd says for `containerd --version`
containerd_version_output() {
    if [ -n "$CONTAINERD_VERSION_COMMAND" ]; then
        sh -c "$CONTAINERD_VERSION_COMMAND" 9>&-
    else
        nsenter -t 1 -m -- containerd --version 9>&-
    fi
}

# parse_containerd_version TEXT: sets CONTAINERD_VERSION (e.g. 2.1.9+unknown), CTD_MAJOR and
# CTD_MINOR from `containerd --version` output ("containerd <module> <version> <revision>")
parse_containerd_version() {
    # shellcheck disable=SC2086
    set -- $1
    CONTAINERD_VERSION=${3:-}
    CONTAINERD_VERSION=${CONTAINERD_VERSION#v}
    CTD_MAJOR=${CONTAINERD_VERSION%%.*}
    rest=${CONTAINERD_VERSION#*.}
    CTD_MINOR=${rest%%[!0-9]*}
    case ${1:-}:$CTD_MAJOR:$CTD_MINOR in
    containerd:[0-9]:[0-9] | containerd:[0-9]:[0-9][0-9]) return 0 ;;
    esac
    return 1
}

# asks the node's containerd for its version and records it for verify (which cannot ask)
detect_containerd() {
    out=$(containerd_version_output 2>&1) || fatal "cannot ask the node's containerd for its version: $(printf '%s' "$out" | tail -n 1 | tr -c 'A-Za-z0-9._/:@+= -' '?' | cut -c 1-160)"
    out=$(printf '%s' "$out" | head -n 1)
    parse_containerd_version "$out" || fatal "cannot read containerd's version from '$(shown "$out")' (want 'containerd <module> <version> ...')"
    mkdir -p "$STATE_DIR" || fatal "cannot create state directory ${STATE_DIR#"$HOST_ROOT"}"
    if [ ! -f "$VERSION_RECORD" ] || [ "$(cat "$VERSION_RECORD")" != "$out" ]; then
        new_temp "$VERSION_RECORD" || fatal "cannot create a temp file next to ${VERSION_RECORD#"$HOST_ROOT"}"
        printf '%s\n' "$out" >"$NEW_TEMP" || fatal "cannot write ${VERSION_RECORD#"$HOST_ROOT"}"
        mv -f "$NEW_TEMP" "$VERSION_RECORD" || fatal "cannot write ${VERSION_RECORD#"$HOST_ROOT"}"
    fi
}

# verify's view: the version install recorded
recorded_containerd() {
    [ -f "$VERSION_RECORD" ] || verify_fail "containerd's version is unknown: ${VERSION_RECORD#"$HOST_ROOT"} is missing (install records it)"
    out=$(head -n 1 "$VERSION_RECORD")
    parse_containerd_version "$out" || verify_fail "cannot read containerd's version from ${VERSION_RECORD#"$HOST_ROOT"}"
}

# decides from the node's containerd and config.toml's version where the handlers go:
# REGISTRATION (config: tables in config.toml; dropin: an owned drop-in, version 3+) and
# PATH_VERSION (whose plugin path: 1 plugins.cri, 2 io.containerd.grpc.v1.cri, 3
# io.containerd.cri.v1.runtime); refuses every combination containerd would not read
decide_registration() {
    node="containerd $CONTAINERD_VERSION"
    case $CTD_MAJOR:$CONFIG_VERSION in
    1:1) REGISTRATION=config PATH_VERSION=1 ;;
    1:2)
        [ "$CTD_MINOR" -ge 3 ] || fatal "$CONTAINERD_CONFIG is version 2, which $node cannot read (1.3 or newer can); refusing"
        REGISTRATION=config PATH_VERSION=2
        ;;
    1:*) fatal "$CONTAINERD_CONFIG is version $CONFIG_VERSION, which $node cannot read (it needs containerd 2.x); refusing" ;;
    # 2.x reads a file without version as version 1 and migrates only plugin names: tables under
    # plugins.cri are ignored, tables under the version 3 plugin ids are read as they are
    2:1) REGISTRATION=config PATH_VERSION=3 ;;
    # 2.x migrates a version 2 file in memory; its imports would merge, but a drop-in's own
    # version would override the file's: the tables go into config.toml, as on 1.x
    2:2) REGISTRATION=config PATH_VERSION=2 ;;
    2:3) REGISTRATION=dropin PATH_VERSION=3 ;;
    2:4)
        [ "$CTD_MINOR" -ge 3 ] || fatal "$CONTAINERD_CONFIG is version 4, which $node cannot read (2.3 or newer can); refusing"
        REGISTRATION=dropin PATH_VERSION=3
        ;;
    *) fatal "$node is not a line this installer knows (1.x, 2.x); refusing to guess its config format" ;;
    esac
    # 1.x replaces its built-in runtimes (runc) as soon as config.toml has any runtime table
    if [ "$CTD_MAJOR" -ge 2 ]; then RUNC_KEPT=1; else RUNC_KEPT=0; fi
    case $PATH_VERSION in
    1) plugin=cri ;;
    2) plugin=io.containerd.grpc.v1.cri ;;
    *) plugin=io.containerd.cri.v1.runtime ;;
    esac
    [ "${1:-}" = quiet ] || info "action=detect containerd=$(shown "$CONTAINERD_VERSION") config=$CONTAINERD_CONFIG version=$CONFIG_VERSION registration=$REGISTRATION plugin=$plugin"
}

# the host paths config.toml imports (globs expanded, relative paths against its directory),
# one per line, in IMPORTED
imported_files() {
    IMPORTED=''
    list=$(toml imports 2>&1) || fatal "cannot read $CONTAINERD_CONFIG: $list"
    old_ifs=$IFS
    IFS=$NL
    for p in $list; do
        case $p in
        /*) ;;
        *) p=${CONTAINERD_CONFIG%/*}/$p ;;
        esac
        case $p in
        *[!A-Za-z0-9._/*?+@:-]*) fatal "import '$(shown "$p")' in $CONTAINERD_CONFIG is not a plain path; refusing to guess what it imports" ;;
        esac
        set +f
        for f in $HOST_ROOT$p; do
            [ ! -f "$f" ] || IMPORTED="$IMPORTED$f$NL"
        done
        set -f
    done
    IFS=$old_ifs
}

# drop-ins among the imports whose own version differs from config.toml's would replace it
# (containerd takes an imported file's version): this installer's own stale drop-in is removed
# (so is its drop-in when the tables go into config.toml), any other one is refused
check_imported_versions() {
    REMOVE_STALE_DROPIN=0
    if [ "$REGISTRATION" = config ] && { [ -f "$DROPIN_FILE" ] || [ -L "$DROPIN_FILE" ]; }; then
        info "action=remove file=$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml reason=registration-in-config.toml"
        REMOVE_STALE_DROPIN=1
    fi
    imported_files
    old_ifs=$IFS
    IFS=$NL
    for f in $IMPORTED; do
        [ "$f" != "$DROPIN_FILE" ] || continue
        [ "$f" != "$CONFIG_FILE" ] || continue
        v=$(toml dversion SR_CONFIG="$f" 2>&1) || fatal "cannot read ${f#"$HOST_ROOT"}, which $CONTAINERD_CONFIG imports: $v"
        if [ "$v" != none ] && [ "$v" != "$CONFIG_VERSION" ]; then
            fatal "${f#"$HOST_ROOT"} (imported by $CONTAINERD_CONFIG) is version $v, config.toml is version $CONFIG_VERSION: containerd would take the drop-in's version and misread config.toml; refusing (fix or remove that drop-in)"
        fi
    done
    IFS=$old_ifs
}

# removes the temp files a killed run left next to the files this installer writes (under the
# lock no other run has any); they are hidden (.NAME.tmp.XXXXXX) and never end in .toml
remove_stale_temps() {
    targets="$CONFIG_FILE$NL$DROPIN_FILE$NL$IMPORT_MARKER$NL$VERSION_RECORD$NL$HOST_ROOT$BINARY_PATH/.probe"
    [ "$HAVE_RUNTIME_CONFIG" = 0 ] || targets="$targets$NL$HOST_ROOT$RUNTIME_CONFIG_PATH"
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do targets="$targets$NL$HOST_ROOT$BINARY_PATH/$name"; done
    for t in $targets; do
        set +f
        for f in "${t%/*}/.${t##*/}.tmp."??????; do
            if [ -f "$f" ] && [ ! -L "$f" ]; then
                rm -f "$f" && info "action=remove file=${f#"$HOST_ROOT"} reason=temp-file-of-a-killed-run"
            fi
        done
        set -f
    done
    IFS=$old_ifs
}

# every artifact must be there before anything on the host changes
check_artifacts() {
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        if [ ! -f "$ARTIFACT_DIR/$name" ] || [ ! -r "$ARTIFACT_DIR/$name" ]; then
            fatal "artifact $ARTIFACT_DIR/$name is missing (RUNTIME_FILES names it)"
        fi
    done
    IFS=$old_ifs
}

# plans the registration and builds every new file before the host changes:
# CANDIDATE (a new config.toml, or empty when it stays) and, version 3+,
# DROPIN_CANDIDATE (a new drop-in, or empty when it stays)
# copies config.toml twice next to it: CANDIDATE (to be rendered) and CONFIG_SNAPSHOT (the bytes
# the plan is made from; the swap only happens while config.toml still has them)
copy_config_for_candidate() {
    new_temp "$CONFIG_FILE" || fatal "cannot create a temp file next to $CONTAINERD_CONFIG"
    CANDIDATE=$NEW_TEMP
    cp -p "$CONFIG_FILE" "$CANDIDATE" || fatal "cannot copy $CONTAINERD_CONFIG"
    new_temp "$CONFIG_FILE" || fatal "cannot create a temp file next to $CONTAINERD_CONFIG"
    CONFIG_SNAPSHOT=$NEW_TEMP
    cp -p "$CONFIG_FILE" "$CONFIG_SNAPSHOT" || fatal "cannot copy $CONTAINERD_CONFIG"
}

# the optional CONTAINERD_CONFIG_CHECK_COMMAND gets the candidate as $1; non-zero refuses it
run_config_check_command() {
    [ -n "$CONTAINERD_CONFIG_CHECK_COMMAND" ] || return 0
    err=$(sh -c "$CONTAINERD_CONFIG_CHECK_COMMAND" sh "$CANDIDATE" 2>&1 9>&-) ||
        fatal "refusing to write $CONTAINERD_CONFIG: CONTAINERD_CONFIG_CHECK_COMMAND rejected the candidate: $(printf '%s' "$err" | tail -n 3 | tr '\n' ' ')"
}

prepare_registration() {
    CANDIDATE=''
    DROPIN_CANDIDATE=''
    IMPORT_HOW=''
    plan=$(toml plan 2>&1) || fatal "cannot register handlers: $plan"
    config_changes=0
    old_ifs=$IFS
    IFS=$NL
    for line in $plan; do
        IFS=$TAB
        # shellcheck disable=SC2086
        set -- $line
        IFS=$NL
        [ "$#" = 3 ] || fatal "unexpected plan line '$(shown "$line")'"
        case $1:$3 in
        handler:same) info "handler=$2 state=registered action=none" ;;
        handler:absent)
            if [ "$REGISTRATION" = config ]; then
                info "handler=$2 state=absent action=add file=$CONTAINERD_CONFIG"
                config_changes=1
            fi
            ;;
        handler:differs)
            info "handler=$2 state=differs action=replace file=$CONTAINERD_CONFIG"
            config_changes=1
            ;;
        handler:stale)
            info "handler=$2 state=in-config.toml action=remove-from-config reason=drop-in-owns-it file=$CONTAINERD_CONFIG"
            config_changes=1
            ;;
        default:present | default:ours) ;;
        default:implicit)
            info "handler=$2 state=built-in action=write-default reason=a-runtime-table-replaces-containerd-1.x-built-in-runtimes file=$CONTAINERD_CONFIG"
            config_changes=1
            ;;
        default:missing) fatal "default_runtime_name $2 has no runtime table in $CONTAINERD_CONFIG: containerd's CRI plugin would not load; refusing" ;;
        imports:covered) ;;
        imports:*)
            info "action=add-import import=$IMPORT_GLOB file=$CONTAINERD_CONFIG"
            IMPORT_HOW=$2
            config_changes=1
            ;;
        *) fatal "unexpected plan line '$(shown "$line")'" ;;
        esac
    done
    IFS=$old_ifs

    if [ "$config_changes" = 1 ]; then
        copy_config_for_candidate
        err=$(toml render SR_CONFIG="$CONFIG_SNAPSHOT" 2>&1 >"$CANDIDATE") || fatal "cannot render $CONTAINERD_CONFIG: $err"
        err=$(toml check SR_CONFIG="$CONFIG_SNAPSHOT" SR_CANDIDATE="$CANDIDATE" 2>&1) || fatal "refusing to write $CONTAINERD_CONFIG: $err"
        run_config_check_command
    fi

    if [ "$REGISTRATION" = dropin ]; then
        [ -d "${DROPIN_FILE%/*}" ] || mkdir -p "${DROPIN_FILE%/*}" || fatal "cannot create $CONTAINERD_DROPIN_DIR"
        new_temp "$DROPIN_FILE" || fatal "cannot create a temp file in $CONTAINERD_DROPIN_DIR"
        DROPIN_CANDIDATE=$NEW_TEMP
        err=$(toml dropin 2>&1 >"$DROPIN_CANDIDATE") || fatal "cannot render the drop-in: $err"
        if [ -f "$DROPIN_FILE" ] && cmp -s "$DROPIN_CANDIDATE" "$DROPIN_FILE"; then
            info "action=none file=$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml reason=unchanged"
            DROPIN_CANDIDATE=''
        else
            [ ! -d "$DROPIN_FILE" ] || fatal "$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml is a directory"
            info "action=write file=$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml reason=$([ -e "$DROPIN_FILE" ] && echo differs || echo absent)"
        fi
    fi
}

# copies each artifact whose bytes differ to BINARY_PATH (temp file + rename)
install_files() {
    dir="$HOST_ROOT$BINARY_PATH"
    [ -d "$dir" ] || mkdir -p "$dir" || fatal "cannot create $BINARY_PATH"
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        src="$ARTIFACT_DIR/$name"
        dst="$dir/$name"
        [ ! -d "$dst" ] || fatal "$BINARY_PATH/$name is a directory"
        if [ -f "$dst" ] && [ -x "$dst" ] && cmp -s "$src" "$dst"; then
            continue
        fi
        new_temp "$dst" || fatal "cannot write to $BINARY_PATH (creating a temp file for $name failed)"
        tmp=$NEW_TEMP
        cp "$src" "$tmp" || fatal "cannot copy $name to $BINARY_PATH"
        chmod 0755 "$tmp" || fatal "cannot set the mode of $BINARY_PATH/$name"
        note_change files-changed
        mv -f "$tmp" "$dst" || fatal "cannot rename a temp file to $BINARY_PATH/$name"
        info "action=install file=$BINARY_PATH/$name"
    done
    IFS=$old_ifs
}

# prints the runtime config file's wanted content
runtime_config_text() {
    printf '%s' "$RUNTIME_CONFIG_CONTENT"
    case $RUNTIME_CONFIG_CONTENT in
    '' | *"$NL") ;;
    *) printf '\n' ;;
    esac
}

# writes RUNTIME_CONFIG_PATH when its content differs
write_runtime_config() {
    [ "$HAVE_RUNTIME_CONFIG" = 1 ] || return 0
    target="$HOST_ROOT$RUNTIME_CONFIG_PATH"
    if [ -f "$target" ] && runtime_config_text | cmp -s - "$target"; then
        info "action=none file=$RUNTIME_CONFIG_PATH reason=unchanged"
        return 0
    fi
    [ ! -d "$target" ] || fatal "$RUNTIME_CONFIG_PATH is a directory"
    [ -d "${target%/*}" ] || mkdir -p "${target%/*}" || fatal "cannot create the directory of $RUNTIME_CONFIG_PATH"
    new_temp "$target" || fatal "cannot create a temp file next to $RUNTIME_CONFIG_PATH"
    tmp=$NEW_TEMP
    runtime_config_text >"$tmp" || fatal "cannot write $RUNTIME_CONFIG_PATH"
    replace_file "$target" "$tmp" 0644 runtime-config-changed
    info "action=write file=$RUNTIME_CONFIG_PATH"
}

# swaps in the prepared drop-in and config.toml
register_runtime() {
    if [ "$REMOVE_STALE_DROPIN" = 1 ]; then
        remove_file "$DROPIN_FILE" dropin-removed
    fi
    if [ -n "$DROPIN_CANDIDATE" ]; then
        replace_file "$DROPIN_FILE" "$DROPIN_CANDIDATE" 0644 dropin-changed
    fi
    if [ -n "$CANDIDATE" ]; then
        cmp -s "$CONFIG_SNAPSHOT" "$CONFIG_FILE" || fatal "$CONTAINERD_CONFIG changed while installing; not overwriting it (the next run starts over)"
        mode=$(stat -c %a "$CONFIG_FILE") || fatal "cannot read the mode of $CONTAINERD_CONFIG"
        replace_file "$CONFIG_FILE" "$CANDIDATE" "$mode" config-changed
        info "action=write file=$CONTAINERD_CONFIG"
    fi
    [ -z "$IMPORT_HOW" ] || write_import_marker
}

# records, after config.toml got the import, that this installer added it: an
# uninstall removes an import only when this marker says so. Written after the
# swap, so a run that dies in between leaves the import unmarked (kept forever)
# rather than a marker for an import the node may have had
write_import_marker() {
    new_temp "$IMPORT_MARKER" || fatal "cannot create a temp file next to ${IMPORT_MARKER#"$HOST_ROOT"}"
    tmp=$NEW_TEMP
    {
        printf '# shoot-runtimes added this import to %s (%s); uninstall removes it\n' "$CONTAINERD_CONFIG" "$RUNTIME_NAME"
        printf '# again when no drop-in is left in %s. Delete this file to keep the import.\n' "$CONTAINERD_DROPIN_DIR"
        printf 'import=%s\n' "$IMPORT_GLOB"
        printf 'how=%s\n' "$IMPORT_HOW"
    } >"$tmp" || fatal "cannot write ${IMPORT_MARKER#"$HOST_ROOT"}"
    replace_file "$IMPORT_MARKER" "$tmp" 0644 ''
    info "action=record-import import=$IMPORT_GLOB how=$IMPORT_HOW file=${IMPORT_MARKER#"$HOST_ROOT"}"
}

# on_host CMD...: runs CMD in the host's mount namespace (PID 1's), where containerd's binaries are
on_host() {
    nsenter -t 1 -m -- "$@" 9>&-
}

# the CRI plugin's status in `ctr plugins ls` (ok, error, skip; empty when it is not listed):
# io.containerd.grpc.v1 cri on 1.x; on 2.x both it and io.containerd.cri.v1 runtime must be ok
cri_status() {
    on_host ctr plugins ls 2>/dev/null | awk '
        ($1 == "io.containerd.grpc.v1" && $2 == "cri") || ($1 == "io.containerd.cri.v1" && $2 == "runtime") {
            if (s == "" || $NF != "ok") s = $NF
        }
        END { print s }'
}

# proves that containerd's CRI plugin came back: it loaded (ctr plugins ls, waited for) and
# the effective config (containerd config dump) has every handler (PROVE_HANDLERS=present) or
# none of them (absent); sets RESTART_WHY when it cannot
prove_cri() {
    waited=0
    while :; do
        status=$(cri_status)
        [ "$status" != ok ] || break
        if [ "$status" = error ] || [ "$waited" -ge "$DEFAULT_RESTART_TIMEOUT" ]; then
            RESTART_WHY="containerd's CRI plugin did not load (ctr plugins ls: cri ${status:-missing})"
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    [ "$PROVE_HANDLERS" != any ] || return 0
    dump=$(on_host containerd --config "$CONTAINERD_CONFIG" config dump 2>/dev/null) || {
        RESTART_WHY="containerd config dump failed"
        return 1
    }
    for h in $HANDLERS; do
        if printf '%s\n' "$dump" | grep -Eq "\.containerd\.runtimes\.[\"']?${h}[\"']?]"; then
            [ "$PROVE_HANDLERS" = present ] || { RESTART_WHY="handler $h is still in containerd's effective config"; return 1; }
        else
            [ "$PROVE_HANDLERS" = absent ] || { RESTART_WHY="handler $h is missing from containerd's effective config"; return 1; }
        fi
    done
}

# restarts containerd and proves it came back: CONTAINERD_RESTART_COMMAND when set (it must do
# all three), else systemctl restart on the host, wait until the unit is active, prove_cri
restart_containerd() {
    RESTART_WHY=''
    if [ -n "$CONTAINERD_RESTART_COMMAND" ]; then
        sh -c "$CONTAINERD_RESTART_COMMAND" 9>&- || {
            RESTART_WHY="CONTAINERD_RESTART_COMMAND exited $?"
            return 1
        }
        return 0
    fi
    nsenter -t 1 -m -u -i -n -p -- systemctl restart containerd 9>&- || {
        RESTART_WHY="systemctl restart containerd failed"
        return 1
    }
    waited=0
    until nsenter -t 1 -m -u -i -n -p -- systemctl is-active --quiet containerd 9>&-; do
        if [ "$waited" -ge "$DEFAULT_RESTART_TIMEOUT" ]; then
            RESTART_WHY="containerd is not active ${DEFAULT_RESTART_TIMEOUT}s after its restart"
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    prove_cri
}

# restarts containerd once when anything changed (or a restart is pending from
# an earlier run); on failure restores the previous config and restarts again
restart_if_changed() {
    reason=$CHANGED
    if [ -z "$reason" ]; then
        if [ ! -e "$PENDING_FILE" ]; then
            COMMITTED=1
            info "action=none reason=unchanged"
            return 0
        fi
        reason=pending-restart
    fi
    info "action=restart reason=$reason"
    if restart_containerd; then
        COMMITTED=1
        rm -f "$PENDING_FILE" || warn "action=none reason=cannot-remove-marker file=${PENDING_FILE#"$HOST_ROOT"}"
        return 0
    fi
    why=$RESTART_WHY
    warn "action=rollback reason=restart-failed why=$(printf '%s' "$why" | tr ' ' '_')"
    rollback
    PROVE_HANDLERS=any
    if restart_containerd; then
        fatal "restarting containerd failed (reason=$reason): $why; restored the previous configuration and restarted containerd with it"
    fi
    fatal "restarting containerd failed (reason=$reason): $why; restored the previous configuration, but the second restart failed too ($RESTART_WHY)"
}

# --- modes ------------------------------------------------------------------------------

do_install() {
    PROVE_HANDLERS=present
    require_tools
    acquire_lock
    remove_stale_temps
    read_config_version
    detect_containerd
    decide_registration
    check_imported_versions
    prepare_registration
    check_artifacts
    install_files
    write_runtime_config
    register_runtime
    restart_if_changed
}

# verify_fail MESSAGE: the one line a failing verify prints
verify_fail() {
    printf '[FATAL] %s verify failed: %s\n' "$LOG_CTX" "$*" >&2
    exit 1
}

do_verify() {
    [ -f "$CONFIG_FILE" ] || verify_fail "containerd config $CONTAINERD_CONFIG does not exist"
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        dst="$HOST_ROOT$BINARY_PATH/$name"
        if [ ! -f "$dst" ] || [ ! -x "$dst" ]; then
            verify_fail "file $BINARY_PATH/$name is missing or not executable"
        fi
        if [ -r "$ARTIFACT_DIR/$name" ]; then
            cmp -s "$ARTIFACT_DIR/$name" "$dst" || verify_fail "file $BINARY_PATH/$name differs from $ARTIFACT_DIR/$name"
        fi
    done
    IFS=$old_ifs
    if [ "$HAVE_RUNTIME_CONFIG" = 1 ]; then
        runtime_config_text | cmp -s - "$HOST_ROOT$RUNTIME_CONFIG_PATH" ||
            verify_fail "file $RUNTIME_CONFIG_PATH is missing or differs from RUNTIME_CONFIG_CONTENT"
    fi
    recorded_containerd
    CONFIG_VERSION=$(toml version 2>&1) || verify_fail "$CONFIG_VERSION"
    decide_registration quiet
    plan=$(toml plan 2>&1) || verify_fail "$plan"
    old_ifs=$IFS
    IFS=$NL
    for line in $plan; do
        IFS=$TAB
        # shellcheck disable=SC2086
        set -- $line
        IFS=$NL
        [ "$#" = 3 ] || fatal "unexpected plan line '$(shown "$line")'"
        case $REGISTRATION:$1:$3 in
        config:handler:same | dropin:handler:absent | *:imports:covered | config:default:present | config:default:ours) ;;
        config:handler:absent) verify_fail "handler $2 is not registered in $CONTAINERD_CONFIG" ;;
        config:handler:*) verify_fail "handler $2 in $CONTAINERD_CONFIG differs from RUNTIME_TABLES" ;;
        config:default:*) verify_fail "the default runtime $2 has no runtime table in $CONTAINERD_CONFIG" ;;
        *:handler:stale) verify_fail "handler $2 is also defined in $CONTAINERD_CONFIG" ;;
        *:imports:*) verify_fail "$CONTAINERD_CONFIG does not import $IMPORT_GLOB" ;;
        *) verify_fail "unexpected plan line '$(shown "$line")'" ;;
        esac
    done
    IFS=$old_ifs
    if [ "$REGISTRATION" = config ] && { [ -e "$DROPIN_FILE" ] || [ -L "$DROPIN_FILE" ]; }; then
        verify_fail "drop-in $CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml exists while the handlers belong in $CONTAINERD_CONFIG"
    fi
    if [ "$REGISTRATION" = dropin ]; then
        toml dropin 2>/dev/null | cmp -s - "$DROPIN_FILE" ||
            verify_fail "drop-in $CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml is missing or differs"
    fi
    [ ! -e "$PENDING_FILE" ] || verify_fail "a containerd restart is pending (${PENDING_FILE#"$HOST_ROOT"})"
    info "action=verify result=ok"
}

# --- uninstall ----------------------------------------------------------------------------

# is_kept NAME: NAME is listed in KEEP_FILES (another runtime on the pool uses it)
is_kept() {
    kept_ifs=$IFS
    IFS=$NL
    for kept in $KEEP_FILES; do
        if [ "$kept" = "$1" ]; then
            IFS=$kept_ifs
            return 0
        fi
    done
    IFS=$kept_ifs
    return 1
}

# remove_file TARGET REASON: moves TARGET aside (next to it, so the move is
# atomic) and keeps it for a rollback until containerd restarted successfully;
# an empty REASON means containerd does not read the file (no restart)
remove_file() {
    new_temp "$1" || fatal "cannot create a temp file next to ${1#"$HOST_ROOT"}"
    saved=$NEW_TEMP
    [ -z "$2" ] || note_change "$2"
    mv -f "$1" "$saved" || fatal "cannot remove ${1#"$HOST_ROOT"}"
    ROLLBACK="$ROLLBACK$1$TAB$saved$NL"
}

# sets MARKER_IMPORT and MARKER_HOW from the import marker; fails without one
read_import_marker() {
    MARKER_IMPORT=''
    MARKER_HOW=''
    [ -f "$IMPORT_MARKER" ] || return 1
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        import=*) MARKER_IMPORT=${line#import=} ;;
        how=*) MARKER_HOW=${line#how=} ;;
        esac
    done <"$IMPORT_MARKER"
    case $MARKER_HOW in
    line | first | after-comma | after-value) ;;
    *) MARKER_HOW=unknown ;;
    esac
}

# sets OTHER_DROPINS to the *.toml files in the drop-in dir other than ours
other_dropins() {
    OTHER_DROPINS=''
    [ -d "$HOST_ROOT$CONTAINERD_DROPIN_DIR" ] || return 0
    set +f
    for f in "$HOST_ROOT$CONTAINERD_DROPIN_DIR"/*.toml; do
        if { [ -e "$f" ] || [ -L "$f" ]; } && [ "$f" != "$DROPIN_FILE" ]; then
            OTHER_DROPINS="${OTHER_DROPINS:+$OTHER_DROPINS,}$(shown "${f##*/}")"
        fi
    done
    set -f
}

# decides (version 3+) whether the import goes: only when install recorded that
# it added it and no other drop-in is left that it would stop importing
decide_import() {
    if read_import_marker && [ "$MARKER_IMPORT" = "$IMPORT_GLOB" ]; then
        if [ "$1" != glob ]; then
            info "action=forget-import import=$IMPORT_GLOB reason=not-in-imports file=${IMPORT_MARKER#"$HOST_ROOT"}"
            DROP_MARKER=1
            return 0
        fi
        other_dropins
        if [ -n "$OTHER_DROPINS" ]; then
            info "action=keep-import import=$IMPORT_GLOB reason=other-drop-ins files=$OTHER_DROPINS"
            return 0
        fi
        info "action=remove-import import=$IMPORT_GLOB reason=added-by-installer how=$MARKER_HOW file=$CONTAINERD_CONFIG"
        REMOVE_IMPORT=1
        DROP_MARKER=1
    elif [ "$1" = glob ]; then
        info "action=keep-import import=$IMPORT_GLOB reason=not-added-by-installer"
    fi
}

# plans the removal and builds the new config.toml before the host changes:
# CANDIDATE (or empty when config.toml stays), REMOVE_DROPIN,
# REMOVE_RUNTIME_CONFIG, DROP_MARKER and REMOVE_FILES (names)
prepare_uninstall() {
    CANDIDATE=''
    REMOVE_IMPORT=0
    DROP_MARKER=0
    REMOVE_DROPIN=0
    REMOVE_RUNTIME_CONFIG=0
    REMOVE_FILES=''
    plan=$(toml uplan 2>&1) || fatal "cannot remove handlers: $plan"
    config_changes=0
    imports=none
    old_ifs=$IFS
    IFS=$NL
    for line in $plan; do
        IFS=$TAB
        # shellcheck disable=SC2086
        set -- $line
        IFS=$NL
        [ "$#" = 3 ] || fatal "unexpected plan line '$(shown "$line")'"
        case $1:$3 in
        handler:present)
            info "handler=$2 state=present action=remove file=$CONTAINERD_CONFIG"
            config_changes=1
            ;;
        handler:absent) info "handler=$2 state=absent action=none" ;;
        default:ours) fatal "handler $2 is containerd's default runtime (default_runtime_name in $CONTAINERD_CONFIG): removing it would stop the CRI plugin; refusing" ;;
        default:*) ;;
        imports:glob | imports:none) imports=$3 ;;
        *) fatal "unexpected plan line '$(shown "$line")'" ;;
        esac
    done
    IFS=$old_ifs
    if [ "$REGISTRATION" = dropin ]; then
        decide_import "$imports"
        [ "$REMOVE_IMPORT" = 0 ] || config_changes=1
    fi

    if [ "$config_changes" = 1 ]; then
        copy_config_for_candidate
        err=$(toml urender SR_CONFIG="$CONFIG_SNAPSHOT" SR_REMOVE_IMPORT="$REMOVE_IMPORT" SR_IMPORT_HOW="${MARKER_HOW:-}" 2>&1 >"$CANDIDATE") ||
            fatal "cannot render $CONTAINERD_CONFIG: $err"
        err=$(toml ucheck SR_CONFIG="$CONFIG_SNAPSHOT" SR_CANDIDATE="$CANDIDATE" SR_REMOVE_IMPORT="$REMOVE_IMPORT" 2>&1) ||
            fatal "refusing to write $CONTAINERD_CONFIG: $err"
        run_config_check_command
    fi

    if [ -e "$DROPIN_FILE" ] || [ -L "$DROPIN_FILE" ]; then
        [ -L "$DROPIN_FILE" ] || [ ! -d "$DROPIN_FILE" ] || fatal "$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml is a directory; refusing to remove it"
        info "action=remove file=$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml"
        REMOVE_DROPIN=1
    elif [ "$REGISTRATION" = dropin ]; then
        info "action=none file=$CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml reason=absent"
    fi

    if [ "$HAVE_RUNTIME_CONFIG" = 1 ]; then
        target="$HOST_ROOT$RUNTIME_CONFIG_PATH"
        if [ -e "$target" ] || [ -L "$target" ]; then
            [ -L "$target" ] || [ ! -d "$target" ] || fatal "$RUNTIME_CONFIG_PATH is a directory; refusing to remove it"
            if [ -z "${RUNTIME_CONFIG_CONTENT+x}" ]; then
                content=unknown
            elif runtime_config_text | cmp -s - "$target"; then
                content=ours
            else
                content=differs
            fi
            info "action=remove file=$RUNTIME_CONFIG_PATH content=$content"
            REMOVE_RUNTIME_CONFIG=1
        else
            info "action=none file=$RUNTIME_CONFIG_PATH reason=absent"
        fi
    fi

    dir="$HOST_ROOT$BINARY_PATH"
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        dst="$dir/$name"
        if is_kept "$name"; then
            info "action=keep file=$BINARY_PATH/$name reason=in-KEEP_FILES"
        elif [ -e "$dst" ] || [ -L "$dst" ]; then
            [ -L "$dst" ] || [ ! -d "$dst" ] || fatal "$BINARY_PATH/$name is a directory; refusing to remove it"
            REMOVE_FILES="$REMOVE_FILES$name$NL"
        else
            info "action=none file=$BINARY_PATH/$name reason=absent"
        fi
    done
    IFS=$old_ifs
    if [ -n "$REMOVE_FILES" ]; then
        # the files go after the restart: make sure they can before anything changes
        new_temp "$dir/.probe" || fatal "cannot remove files from $BINARY_PATH (cannot write to it); nothing changed"
        rm -f "$NEW_TEMP"
    fi
}

# moves the drop-in and the runtime config aside, swaps in config.toml and
# drops the import marker (all restored if containerd does not restart)
apply_uninstall() {
    if [ "$REMOVE_DROPIN" = 1 ]; then
        remove_file "$DROPIN_FILE" dropin-removed
    fi
    if [ "$REMOVE_RUNTIME_CONFIG" = 1 ]; then
        remove_file "$HOST_ROOT$RUNTIME_CONFIG_PATH" runtime-config-removed
    fi
    if [ -n "$CANDIDATE" ]; then
        cmp -s "$CONFIG_SNAPSHOT" "$CONFIG_FILE" || fatal "$CONTAINERD_CONFIG changed while uninstalling; not overwriting it (the next run starts over)"
        mode=$(stat -c %a "$CONFIG_FILE") || fatal "cannot read the mode of $CONTAINERD_CONFIG"
        replace_file "$CONFIG_FILE" "$CANDIDATE" "$mode" config-changed
        info "action=write file=$CONTAINERD_CONFIG"
    fi
    if [ "$DROP_MARKER" = 1 ]; then
        remove_file "$IMPORT_MARKER" ''
    fi
}

# removes the runtime files (after the restart: containerd no longer refers to them)
remove_files() {
    old_ifs=$IFS
    IFS=$NL
    for name in $REMOVE_FILES; do
        rm -f "$HOST_ROOT$BINARY_PATH/$name" || fatal "cannot remove $BINARY_PATH/$name"
        info "action=remove file=$BINARY_PATH/$name"
    done
    IFS=$old_ifs
}

# sets REMAINS to the first thing of the runtime still on the node (empty: none)
removed_state() {
    REMAINS=''
    if [ ! -f "$CONFIG_FILE" ]; then
        REMAINS="containerd config $CONTAINERD_CONFIG does not exist"
        return 0
    fi
    # a handler left under any plugin path counts (verify-removed cannot ask containerd)
    for pv in 1 2 3; do
        if ! plan=$(toml uplan SR_PATHV="$pv" SR_REGISTRATION=config 2>&1); then
            REMAINS="cannot read $CONTAINERD_CONFIG: $plan"
            return 0
        fi
        old_ifs=$IFS
        IFS=$NL
        for line in $plan; do
            IFS=$TAB
            # shellcheck disable=SC2086
            set -- $line
            IFS=$NL
            if [ "$1:${3:-}" = handler:present ]; then
                REMAINS="handler $2 is still defined in $CONTAINERD_CONFIG"
                break
            fi
        done
        IFS=$old_ifs
        [ -z "$REMAINS" ] || return 0
    done
    [ -z "$REMAINS" ] || return 0
    if [ -e "$DROPIN_FILE" ] || [ -L "$DROPIN_FILE" ]; then
        REMAINS="drop-in $CONTAINERD_DROPIN_DIR/$RUNTIME_NAME.toml still exists"
        return 0
    fi
    if [ "$HAVE_RUNTIME_CONFIG" = 1 ] && { [ -e "$HOST_ROOT$RUNTIME_CONFIG_PATH" ] || [ -L "$HOST_ROOT$RUNTIME_CONFIG_PATH" ]; }; then
        REMAINS="file $RUNTIME_CONFIG_PATH still exists"
        return 0
    fi
    if [ -e "$PENDING_FILE" ]; then
        REMAINS="a containerd restart is pending (${PENDING_FILE#"$HOST_ROOT"})"
        return 0
    fi
    old_ifs=$IFS
    IFS=$NL
    for name in $RUNTIME_FILES; do
        dst="$HOST_ROOT$BINARY_PATH/$name"
        if ! is_kept "$name" && { [ -e "$dst" ] || [ -L "$dst" ]; }; then
            REMAINS="file $BINARY_PATH/$name still exists"
            break
        fi
    done
    IFS=$old_ifs
}

do_uninstall() {
    require_tools
    info "action=uninstall handlers=$(printf '%s' "$HANDLERS" | tr ' ' ',') files=$(printf '%s' "$RUNTIME_FILES" | tr '\n' ',') keep=$(printf '%s' "$KEEP_FILES" | tr '\n' ',')"
    PROVE_HANDLERS=absent
    acquire_lock
    remove_stale_temps
    read_config_version
    detect_containerd
    decide_registration
    prepare_uninstall
    apply_uninstall
    restart_if_changed
    remove_files
    removed_state
    [ -z "$REMAINS" ] || fatal "uninstall finished but the node is not clean: $REMAINS"
    info "action=uninstall result=clean handlers=$(printf '%s' "$HANDLERS" | tr ' ' ',')"
}

do_verify_removed() {
    removed_state
    if [ -n "$REMAINS" ]; then
        printf '[FATAL] %s verify-removed failed: %s\n' "$LOG_CTX" "$REMAINS" >&2
        exit 1
    fi
    info "action=verify-removed result=ok"
}

# idles until SIGTERM/SIGINT; never uninstalls anything
do_watch() {
    sleeper=''
    trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM INT HUP
    while :; do
        sleep 3600 &
        sleeper=$!
        wait "$sleeper" || :
    done
}

# --- main: the steps, in order ----------------------------------------------------------
#   install: validate the environment -> check the tools -> take the node lock -> detect config.toml's
#            version -> plan the registration and build every new file (fails here
#            leave the host untouched) -> check the artifacts -> install the files ->
#            write the runtime config -> swap in the drop-in and config.toml ->
#            restart containerd once if anything changed (restore and restart again
#            if that fails) -> release the lock
#   verify:  validate -> compare files, runtime config, registration -> exit status
#   watch:   sleep until terminated
main() {
    mode=${1:-install}
    case $mode in
    install)
        trap cleanup EXIT
        trap 'exit 143' TERM
        trap 'exit 130' INT
        load_env
        validate_env
        do_install
        ;;
    verify)
        load_env
        validate_env
        do_verify
        ;;
    uninstall)
        trap cleanup EXIT
        trap 'exit 143' TERM
        trap 'exit 130' INT
        REMOVING=1
        load_env
        validate_env
        do_uninstall
        ;;
    verify-removed)
        REMOVING=1
        load_env
        validate_env
        do_verify_removed
        ;;
    watch) do_watch ;;
    *) fatal "unknown mode '$(shown "$mode")': want install, verify, watch, uninstall or verify-removed" ;;
    esac
}

main "$@"
