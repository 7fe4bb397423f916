# Set-up shared by scripts/run and scripts/test: installs only what is missing.
# Sourced, not run.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

BUILD_PACKAGES=(build-essential pkg-config file patchelf libssl-dev libxdo-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev)
# dunst is here so that the tests prove they pass where a notification
# daemon is installed, as on every desktop: their buses never activate it.
# notification-daemon (GNOME Flashback's) is one a test starts itself, to
# see a notification drawn as a desktop draws it.
TEST_PACKAGES=(xvfb xauth dbus dbus-x11 at-spi2-core webkit2gtk-driver gnome-keyring nginx libnginx-mod-nchan redis-server python3
  debootstrap rpm dunst notification-daemon squid dante-server xdg-desktop-portal procps appstream desktop-file-utils
  libfaketime)
# The tests' own session bus: no service directories, so it activates nothing.
TEST_BUS=$ROOT/tests/dbus/session.conf
TAURI_DRIVER_VERSION=2.1.0

# Each step says how long the run has taken so far (bash's $SECONDS), so a
# CI log shows where the time goes.
say() { printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PKG...: installs the packages that are not installed yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local try
  for try in 1 2 3; do
    if as_root apt-get -o DPkg::Lock::Timeout=600 update -q &&
      as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"; then
      return 0
    fi
    say "apt-get failed (attempt $try); retrying"
  done
  die "could not install ${missing[*]}"
}

require_toolchains() {
  command -v cargo >/dev/null || die "Rust is missing: install it with rustup (https://rustup.rs), then run this again."
  command -v npm >/dev/null || die "Node.js 20.19+ and npm are missing: install them, then run this again."
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: Herald's UI build needs 20.19 or newer."
}

# Builds the web UI into ui/dist, which the app binary embeds.
# `npm install` rather than `npm ci`: lock files written without registry
# addresses omit other platforms' optional packages, which `npm ci` rejects.
# The lock still pins every version.
build_ui() {
  say "Building the UI"
  (cd "$ROOT/ui" && npm install --no-audit --no-fund --loglevel=error && npm run build --silent)
}

# stage_package_binaries: the binaries the .deb and .rpm carry beside the
# window, and their manual pages, made by the binaries themselves from the
# definitions of their --help (tauri.conf.json names them under packaging/bin/).
stage_package_binaries() {
  local bin="$ROOT/packaging/bin" man="$ROOT/packaging/man"
  mkdir -p "$bin"
  cp "$CARGO_TARGET_DIR/tray/herald" "$CARGO_TARGET_DIR/tray/herald-cli" "$bin/"
  rm -rf "$man" && mkdir -p "$man"
  "$bin/herald" --man-pages "$man"
  "$bin/herald-cli" man-pages "$man"
  gzip -9n "$man"/*.1
}

# repack_deb DEB: the bundler compresses a .deb's files with gzip and has no
# setting for it (tauri-apps/tauri#9846). Debian's own packages use xz; at
# level 9 its 64 MiB window spans all three binaries, which share most of
# their code, and the .deb is less than half the size (at level 6, with an
# 8 MiB window, it is two thirds). The .rpm is set the same way in
# tauri.conf.json.
repack_deb() {
  local deb=$1 dir
  dir=$(mktemp -d)
  dpkg-deb -R "$deb" "$dir/root"
  dpkg-deb --root-owner-group -Zxz -z9 -b "$dir/root" "$dir/repacked.deb" >/dev/null
  mv "$dir/repacked.deb" "$deb"
  rm -rf "$dir"
}

# The servers, daemons and programs that tests start, by the process name
# the kernel keeps (its first 15 characters).
TEST_PROCESSES='^(nginx|redis-server|ntfy|mercure|herald|herald-hub|herald-window|herald-cli|tauri-driver|WebKit.*|dbus-daemon|gnome-keyring-d|dunst|notification-da|squid|basic_ncsa_auth|danted|xdg-desktop-por|Xvfb)$'

# test_processes: "PID NAME" of each such process now running, sorted.
test_processes() {
  ps -eo pid=,comm= | awk -v names="$TEST_PROCESSES" '$2 ~ names {print $1, $2}' | sort
}

# nothing_left_since FILE: fails, naming them, if processes of the tests'
# kinds run now that were not running when FILE was written by
# test_processes. Processes on their way out get a few seconds.
nothing_left_since() {
  local before=$1 left try
  for try in $(seq 100); do
    left=$(comm -13 "$before" <(test_processes))
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  ps -o pid=,ppid=,args= -p "$(awk '{print $1}' <<<"$left" | paste -sd,)" >&2 || true
  die "the tests left these running: $(tr '\n' ' ' <<<"$left")"
}

# cargo-nextest runs the tests: the unit and the end-to-end tests are built in
# one build of the whole workspace (cargo test would build the dependencies
# twice, with the features of two different selections of packages), and
# each test runs in a process of its own, with a deadline.
install_nextest() {
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "Installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
}

# cargo-fuzz builds and runs the fuzz targets (fuzz/), on the stable
# toolchain: RUSTC_BOOTSTRAP=1 lets it take the flags cargo fuzz passes.
CARGO_FUZZ_VERSION=0.13.2
install_cargo_fuzz() {
  if ! cargo install --list | grep -x "cargo-fuzz v$CARGO_FUZZ_VERSION:" >/dev/null; then
    say "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
  fi
}

# fuzz_all SECONDS: every fuzz target for SECONDS, from its committed corpus
# (fuzz/corpus/TARGET, where a crash once found is kept, so that it is tried
# again on every run). What the fuzzer finds new goes to a scratch folder,
# not into the clone; a crash fails the run and leaves its input there.
fuzz_all() {
  local seconds=$1 scratch target
  scratch=$(mktemp -d)
  (
    cd "$ROOT/fuzz"
    export RUSTC_BOOTSTRAP=1
    # 16 codegen units: cargo fuzz's one unit per crate took 19 minutes cold.
    local build=(--sanitizer none --codegen-units 16 --target-dir "$CARGO_TARGET_DIR/fuzz")
    cargo fuzz build "${build[@]}"
    for target in $(cargo fuzz list); do
      mkdir -p "$scratch/$target"
      if ! cargo fuzz run "${build[@]}" "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -artifact_prefix="$scratch/" -print_final_stats=1 >"$scratch/$target.log" 2>&1; then
        tail -40 "$scratch/$target.log"
        die "fuzz target $target failed: its input is in $scratch"
      fi
      printf '%s: %s runs, %s new inputs\n' "$target" \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$target.log")" \
        "$(sed -n 's/^stat::new_units_added: *//p' "$scratch/$target.log")"
    done
  )
  rm -rf "$scratch"
}

install_tauri_driver() {
  # grep reads all its input (no -q): with pipefail, an early exit would fail the pipe.
  if ! command -v tauri-driver >/dev/null || ! cargo install --list | grep -x "tauri-driver v$TAURI_DRIVER_VERSION:" >/dev/null; then
    say "Installing tauri-driver $TAURI_DRIVER_VERSION"
    cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION"
  fi
}
