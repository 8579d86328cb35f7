#!/usr/bin/env bash
# Shared set-up for scripts/test, scripts/demo and scripts/bench.
#
# Source it from bash (`. scripts/setup.sh`) to get the functions below, or
# run it (`bash scripts/setup.sh [BUILDDIR [MESON-OPTIONS...]]`) to install
# the dependencies, configure BUILDDIR (default: build) and compile it.
#
#   ml_install_deps            install the missing Debian packages
#   ml_configure DIR [OPTS]    meson setup DIR, or reconfigure it (wiping it
#                              when the old configuration cannot be reused)
#   ml_compile DIR             meson compile -C DIR
#   ml_setup DIR [OPTS]        the three above in a row
#
# The functions return non-zero on failure and never exit, so callers
# decide what a failure means.  They expect to run from the repository root
# (ml_repo_root gives it).

# Debian packages needed to build, test and demonstrate the library.
ML_DEB_PACKAGES=(
    gcc g++ binutils pkg-config meson ninja-build
    libopenblas-dev check libsubunit-dev libpng-dev zlib1g-dev
    valgrind python3 python3-cffi python3-numpy python3-pytest
    python3-venv python3-setuptools python3-wheel dataset-fashion-mnist unzip
    doxygen abigail-tools openmpi-bin libopenmpi-dev
    clang libclang-rt-14-dev
)

ml_log() {
    printf '==> %s\n' "$*"
}

ml_repo_root() {
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
    dirname "$here"
}

# Installs the packages of ML_DEB_PACKAGES that are not installed yet.  Runs
# apt-get update only when something is missing.  On a system without dpkg
# it only warns: the build then finds out what is missing.
ml_install_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1 ||
        ! command -v apt-get >/dev/null 2>&1; then
        ml_log "no dpkg/apt-get here: not installing packages (needs: ${ML_DEB_PACKAGES[*]})"
        return 0
    fi
    local missing=() pkg status
    for pkg in "${ML_DEB_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || status=
        [[ $status == installed ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    ml_log "installing missing packages: ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "error: not root and no sudo; please install: ${missing[*]}" >&2
            return 1
        fi
        sudo=(sudo -n)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null ||
        return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" </dev/null
}

# ml_configure DIR [MESON-OPTIONS...]: configures DIR with the given options.
# An existing build directory is reconfigured with them; if meson refuses
# (for example after a meson upgrade), the directory is wiped and set up
# again.  A directory left half-made by an interrupted setup is removed.
ml_configure() {
    local dir=$1
    shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        ml_log "reconfiguring $dir"
        if meson setup --reconfigure "$dir" "$@" </dev/null; then
            return 0
        fi
        ml_log "cannot reconfigure $dir: wiping it"
        meson setup --wipe "$dir" "$@" </dev/null
        return
    fi
    if [[ -e $dir ]]; then
        ml_log "$dir is not a meson build directory: removing it"
        rm -rf -- "$dir" || return 1
    fi
    ml_log "configuring $dir"
    meson setup "$dir" "$@" </dev/null
}

ml_compile() {
    ml_log "compiling $1"
    meson compile -C "$1" </dev/null
}

ml_setup() {
    ml_install_deps && ml_configure "$@" && ml_compile "$1"
}

# Run as a program: set up one build directory.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    cd "$(ml_repo_root)"
    if (($# == 0)); then
        set -- build
    fi
    ml_setup "$@"
fi
