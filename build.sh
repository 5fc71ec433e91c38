#!/usr/bin/env bash
# playgate: build, test, serve and benchmark.
#
#   ./build.sh setup   install what is missing (wasm target, wasm-bindgen CLI, Chromium, ffmpeg, npm tools)
#   ./build.sh build   release wasm -> wasm-bindgen (web, bundler) -> wasm-opt -> pkg/
#   ./build.sh test    setup + build + every test; the last line is "N passed, M failed"
#   ./build.sh serve   build and serve the demo on http://127.0.0.1:8080 (PORT=... to change): the
#                      page, the cache emulator with the media (made once with ffmpeg) and the edge
#                      gate in workerd, each on its own loopback port; Ctrl-C stops them all
#   ./build.sh screenshot   refresh docs/demo.png (the README's picture) from the demo's end-to-end test
#   ./build.sh emulator [--port N] [--media DIR]   the cache emulator alone (prints a dev token)
#   ./build.sh bench   build and run the Node and workerd benchmarks and the soak (tables printed and written to bench/results/)
#   ./build.sh size-parts   what each part of the player and edge modules costs (part of bench)
#   ./build.sh fuzz [seconds]   run every cargo-fuzz target (fuzz/) for that long each (default 60)
#   ./build.sh clean   remove build output
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/tests/node_modules/.bin:$PATH"
TARGET=wasm32-unknown-unknown
PKG="$ROOT/pkg"
WORK="$ROOT/target/pkg-work"
# Features the Rust wasm32 target emits and wasm-opt must accept.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# The size budget of the player module (gzip -9 of the optimised .wasm), enforced by `test`.
# 64 KiB: issue 14's "and no further" (raised to 65 KiB in session 35 for fail-closed fixes, back
# to 64 KiB in session 36 once std's hash table gave way to the crate's own: ARCHITECTURE.md).
SIZE_BUDGET_GZIP=65536
SIZE_BUDGET_TARBALL=450000 # npm pack, packed (issue 12: 450 KB)
CARGO_FUZZ_VERSION=0.13.2

log() { printf '==> %s\n' "$*" >&2; }

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

setup() {
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "adding the $TARGET target"
    rustup target add "$TARGET"
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (the version in Cargo.lock; takes about 2 minutes)"
    # --locked fails here (a locked dependency is missing from the registry): fall back.
    cargo install wasm-bindgen-cli --version "$want" --locked --force \
      || cargo install wasm-bindgen-cli --version "$want" --force
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing Debian chromium and chromium-driver"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      log "chromium/chromedriver missing and apt-get unavailable: browser tests will fail"
    fi
  fi
  # ffmpeg makes the test media (tests/tools/make-media.mjs); fonts-dejavu-core is its drawtext's font.
  if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing Debian ffmpeg (the test media)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg fonts-dejavu-core >/dev/null
    else
      log "ffmpeg missing and apt-get unavailable: the media tests will fail"
    fi
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION (the fuzz targets in fuzz/)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked \
      || cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION"
  fi
  if [ ! -f tests/node_modules/.installed ] || [ tests/package.json -nt tests/node_modules/.installed ]; then
    log "installing npm tools and test dependencies (tests/package.json)"
    # `npm ci` fails with workerd in the lockfile (no darwin/windows builds here): use install.
    (cd tests && npm install --no-audit --no-fund --loglevel=error)
    touch tests/node_modules/.installed
  fi
}

# The release build of the binding crate. Source paths (which panic locations keep in the
# module) are written relative to the checkout and the cargo home, so the module is the same
# bytes, and the same size, wherever the repository is cloned.
# A registry's sources (`registry/src/index.crates.io-<hash>/`) are written as /c/: shorter
# (the player module's bytes are budgeted).
release_build() {
  local cargo_home="${CARGO_HOME:-$HOME/.cargo}" remaps src
  remaps="--remap-path-prefix=$ROOT=/playgate --remap-path-prefix=$cargo_home=/cargo"
  for src in "$cargo_home"/registry/src/*/; do
    [ -d "$src" ] && remaps+=" --remap-path-prefix=${src%/}=/c"
  done
  RUSTFLAGS="${RUSTFLAGS:-} $remaps" cargo build -p playgate-wasm --release --target "$TARGET" --quiet "$@"
}

# One wasm-bindgen target set for one build of the binding crate. $1 = the module's directory
# under pkg/ ("" for the player module, "edge"), $2 = cargo features, $3 = wasm-bindgen targets.
bundle() {
  local dir="$1" features="$2" targets="$3"
  local out="$PKG${dir:+/$dir}" work="$WORK${dir:+/$dir}" up="${dir:+../}"
  log "cargo build -p playgate-wasm --release --target $TARGET ${features:+--features $features}"
  release_build ${features:+--features "$features"}
  local wasm="target/$TARGET/release/playgate_wasm.wasm" t
  mkdir -p "$work"
  for t in $targets; do
    wasm-bindgen --target "$t" --out-dir "$work/$t" --out-name playgate "$wasm"
  done
  # The .wasm is byte-identical across targets: optimise once (npm binaryen; Debian's breaks it).
  # --low-memory-unused: Rust's wasm32 link puts the 1 MiB stack first, so the low 1 KiB is its
  # far bottom, never reached (recursion is bounded): 0.5-0.7 KB less gzipped, measured.
  wasm-opt -Oz --converge --low-memory-unused "${WASM_FEATURES[@]}" --strip-debug --strip-producers \
    "$work/web/playgate_bg.wasm" -o "$work/playgate_bg.wasm"
  # One copy of the .wasm per module, in web/, with the one ES glue beside it (wasm-bindgen's
  # bundler output: a tool that imports the .wasm resolves its imports next to it). Node's
  # entries read the .wasm from there.
  mkdir -p "$out/web" "$out/node" "$out/bundler"
  cp "$work/playgate_bg.wasm" "$out/web/playgate_bg.wasm"
  es_module "$work/bundler/playgate_bg.js" "$out/web/playgate_bg.js"
  # Types (the web target's: its init and initSync are what the entries export) that check under
  # a plain ES2022 lib (no DOM, no esnext.disposable).
  node js/dom-free-types.mjs "$work/web/playgate.d.ts" "$out/web/playgate.d.ts"
  # The entries import the shared JS layer from the package root.
  # The player's entries leave out the JWT layer (the lines marked @edge): bundlers drop its code.
  local entry_sed=(-e "s#'\.\./\(api\|cache\|load\)\.#'../$up\1.#")
  [ "$dir" = edge ] || entry_sed+=(-e '/@edge/d' -e 's/, installJwt }/ }/')
  sed "${entry_sed[@]}" js/entries/web.js > "$out/web/index.js"
  node js/public-exports.mjs "$out/web/index.js" "$out/web/playgate.d.ts"
  sed "${entry_sed[@]}" js/entries/bundler.js > "$out/bundler/index.js"
  node js/public-exports.mjs "$out/bundler/index.js" "$out/web/playgate.d.ts"
  # The JS layer's types; the edge module's own (between @edge-begin and @edge-end) only there.
  local types_sed=(-e '/@edge-begin/d' -e '/@edge-end/d')
  [ "$dir" = edge ] || types_sed=(-e '/@edge-begin/,/@edge-end/d')
  sed "${types_sed[@]}" js/entries/web.d.ts > "$out/web/index.d.ts"
  # The same types for require(): the same files in a folder whose package.json says CommonJS,
  # which is how TypeScript reads a .d.ts's format (the ESM ones would be TS1479 in a .cts
  # file). The same bytes as web/'s, so the packed tarball compresses each twin to almost nothing.
  cp "$out/web/index.d.ts" "$out/web/playgate.d.ts" "$out/node/"
  printf '{ "type": "commonjs" }\n' > "$out/node/package.json"
  # Node's entries, index.cjs and index.mjs: one file each, sharing one instance.
  node js/build-node-entries.mjs "$out/node" "..${dir:+/..}"
  local raw gz
  raw=$(wc -c < "$out/web/playgate_bg.wasm")
  gz=$(gzip -9c "$out/web/playgate_bg.wasm" | wc -c)
  log "pkg/${dir:+$dir/}: playgate_bg.wasm $raw bytes, $gz gzipped"
}

# One of the package's ES modules, as esbuild writes it (scope-hoisted, its exports in one list at
# the end): the form Node's entry runs as a function body (js/entries/node.cjs).
es_module() {
  esbuild "$1" --bundle --format=esm --platform=neutral --target=es2022 --log-level=warning --outfile="$2"
  strip_doc_comments "$2"
}

# Without the /** */ doc comments esbuild keeps (the README and the types are the package's
# documentation; the glue's are wasm-bindgen's copies of the binding layer's Rust docs): about
# 12 KB less, 4 KB packed, against the tarball's 450 KB budget.
strip_doc_comments() {
  node -e 'const fs = require("fs"); const f = process.argv[1];
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/^[ \t]*\/\*\*(?:(?!\*\/)[\s\S])*\*\/[ \t]*\n/gm, ""));' "$1"
}

build() {
  rm -rf "$WORK" "$PKG"
  mkdir -p "$WORK" "$PKG"
  # The JS layer is one file per concern in js/ (js/api.mjs lists them); the package ships them
  # as one api.mjs, bundled by esbuild (scope-hoisted: the same functions, no module wrappers).
  es_module js/api.mjs "$PKG/api.mjs"
  es_module js/cache.mjs "$PKG/cache.mjs"
  es_module js/load.mjs "$PKG/load.mjs"
  # The player module: decisions, scopes, token decoding. The edge module adds JWT verification.
  bundle "" "${PLAYGATE_FEATURES:-}" "web bundler"
  bundle "edge" "edge" "web bundler"
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    const json = JSON.parse(readFileSync("pkg.json", "utf8"));
    json.version = /^version = "([^"]+)"/m.exec(readFileSync("Cargo.toml", "utf8"))[1];
    writeFileSync(process.argv[1] + "/package.json", JSON.stringify(json, null, 2) + "\n");
  ' "$PKG"
  # The package's README is the user's: the repository's own sections (its commands, the demo,
  # how failing closed is tested, the layout), each between `<!-- repo-only -->` and
  # `<!-- /repo-only -->`, are left out (tests/node/package.test.mjs checks what remains).
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    const text = readFileSync("README.md", "utf8");
    const kept = text.replace(/^<!-- repo-only\b[^\n]*-->\n[\s\S]*?^<!-- \/repo-only -->\n\n?/gm, "");
    if (/repo-only/.test(kept)) throw new Error("README.md: a repo-only marker without its pair");
    writeFileSync(process.argv[1] + "/README.md", kept);
  ' "$PKG"
  # The player integrations (playgate/hls, playgate/shaka): plain JS over the player module, which they import
  # by the package's own name (one instance with the app's `playgate`).
  mkdir -p "$PKG/players"
  local player
  # Each file as esbuild writes it, not bundled (the same modules and imports, without comments).
  for player in guard hls shaka; do
    esbuild "js/players/$player.mjs" --format=esm --target=es2022 --log-level=warning \
      | sed -E -e 's#from "\./([a-z]*)\.mjs"#from "./\1.js"#' -e 's#from "\.\./(paths|fields)\.mjs"#from "./\1.js"#' > "$PKG/players/$player.js"
    strip_doc_comments "$PKG/players/$player.js"
  done
  # The path checks and the field names the guards share with the gate and the API (which api.mjs
  # bundles): a copy beside them.
  for shared in paths fields; do
    esbuild "js/$shared.mjs" --format=esm --target=es2022 --log-level=warning --outfile="$PKG/players/$shared.js"
    strip_doc_comments "$PKG/players/$shared.js"
  done
  for player in hls shaka; do
    sed "s#'\.\./web/index\.js'#'playgate'#" "js/players/$player.d.ts" > "$PKG/players/$player.d.ts"
  done
  log "typecheck: tsc --noEmit tests/types/usage.ts against pkg/"
  tsc -p tests/types/tsconfig.json
}

# ---- tests ---------------------------------------------------------------------------------
PASSED=0
FAILED=0
FAILED_STEPS=()

# Runs one step, shows its output, and adds its test counts: the runner's own summary lines
# (cargo/wasm-bindgen-test "test result:", node --test "# pass/# fail"), or 1 for a step
# without a count. A step that exits non-zero counts at least one failure.
step() {
  local name="$1"; shift
  # Not under $WORK: the build step deletes that while tee may still be opening its file.
  local out="$ROOT/target/step.log" status=0
  mkdir -p "$ROOT/target"
  log "test step: $name"
  "$@" 2>&1 | tee "$out" || status=$?
  local pass fail
  # awk (not grep) so that "no summary line" is not a failing pipeline under `set -e`.
  pass=$(awk '
    match($0, /test result: [A-Za-z]+\. [0-9]+ passed/) { split(substr($0, RSTART, RLENGTH), w, " "); s += w[4] }
    /^# pass [0-9]+/ { s += $3 }
    END { print s + 0 }' "$out")
  fail=$(awk '
    match($0, /[0-9]+ passed; [0-9]+ failed/) { split(substr($0, RSTART, RLENGTH), w, " "); s += w[3] }
    /^# fail [0-9]+/ { s += $3 }
    END { print s + 0 }' "$out")
  if [ "$pass" = 0 ] && [ "$fail" = 0 ]; then
    if [ "$status" = 0 ]; then pass=1; else fail=1; fi
  elif [ "$status" != 0 ] && [ "$fail" = 0 ]; then
    fail=1
  fi
  PASSED=$((PASSED + pass))
  FAILED=$((FAILED + fail))
  if [ "$fail" != 0 ]; then FAILED_STEPS+=("$name"); fi
}

size_budget() {
  # Two gzip -9 implementations, which differ by ~200 B: the larger must fit (the bench uses
  # Node's zlib, the shell gzip).
  local gz zl
  gz=$(gzip -9c "$PKG/web/playgate_bg.wasm" | wc -c)
  zl=$(node -e 'process.stdout.write(String(require("zlib").gzipSync(require("fs").readFileSync(process.argv[1]), { level: 9 }).length))' "$PKG/web/playgate_bg.wasm")
  echo "player module: $gz bytes (gzip -9), $zl bytes (zlib level 9); budget $SIZE_BUDGET_GZIP"
  # The package as npm ships it (issue 12): the tarball npm pack writes, packed.
  local packed
  packed=$(npm pack --dry-run --json --loglevel=error "$PKG/" | node -e '
    const [info] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (info.name !== "playgate") throw new Error(`npm packed ${info.name}, not pkg/`);
    process.stdout.write(String(info.size));')
  echo "npm tarball: $packed bytes packed; budget $SIZE_BUDGET_TARBALL"
  [ "$gz" -le "$SIZE_BUDGET_GZIP" ] && [ "$zl" -le "$SIZE_BUDGET_GZIP" ] && [ "$packed" -le "$SIZE_BUDGET_TARBALL" ]
}

wasm_tests() {
  # wasm-bindgen-test: the vectors through the wasm build, in Node and in headless Chromium.
  local env=()
  case "$1" in
    node) ;;
    chromium) env=(CHROMEDRIVER="$(command -v chromedriver)" WASM_BINDGEN_USE_BROWSER=1) ;;
  esac
  env "${env[@]}" WASM_BINDGEN_TEST_TIMEOUT=120 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/webdriver.json" \
    cargo test -p playgate-wasm --target "$TARGET" --tests --all-features
}

node_tests() {
  node --test --test-reporter=tap --test-concurrency=1 tests/node/
}

test_all() {
  setup
  mkdir -p "$WORK"
  step "rustfmt" cargo fmt --all -- --check
  step "clippy (native, all targets, all features)" cargo clippy --quiet --workspace --all-targets --all-features -- -D warnings
  step "clippy (wasm32, binding layer)" cargo clippy --quiet -p playgate-wasm --target "$TARGET" --all-targets --all-features -- -D warnings
  step "cargo test (native core + vectors + properties)" cargo test --quiet -p playgate --all-features
  step "fuzz (every target, ${FUZZ_SECONDS:-4} s each, from the seed corpora)" fuzz_all "${FUZZ_SECONDS:-4}"
  step "build (release wasm, pkg/, tsc --noEmit of the typed usage file)" build
  if [ ! -f "$PKG/web/playgate_bg.wasm" ]; then
    log "the build failed: the package tests cannot run"
    echo "$PASSED passed, $((FAILED + 1)) failed"
    return 1
  fi
  step "size budget" size_budget
  step "wasm-bindgen-test in Node" wasm_tests node
  step "wasm-bindgen-test in headless Chromium" wasm_tests chromium
  step "node tests (package, vectors, bad input, workerd, browser page, test media)" node_tests
  if [ "${#FAILED_STEPS[@]}" -gt 0 ]; then
    log "failed steps: ${FAILED_STEPS[*]}"
  fi
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

# ---- fuzzing --------------------------------------------------------------------------------
# Every target in fuzz/ for $1 seconds, from the seed corpus fuzz/seeds.mjs writes (and what
# earlier runs added). Nightly when the machine has it (AddressSanitizer); otherwise stable with
# no sanitizer (cargo-fuzz supports that). A summary line per target: executions, coverage.
fuzz_cargo() {
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo +nightly fuzz "$1" "${@:2}"
  else
    cargo +stable fuzz "$1" --sanitizer none "${@:2}"
  fi
}

fuzz_all() {
  local seconds="${1:-60}" target out status failed=0 passed=0
  (cd fuzz && node seeds.mjs && fuzz_cargo build)
  for target in $(cd fuzz && cargo fuzz list); do
    status=0
    out=$(cd fuzz && fuzz_cargo run "$target" -- -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 2>&1) || status=$?
    printf '%-24s %s %s %s\n' "$target" \
      "$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' <<<"$out" | tail -1 | sed 's/Done //; s/ runs in .*//') runs," \
      "$(grep -oE 'cov: [0-9]+' <<<"$out" | tail -1)," \
      "$([ "$status" = 0 ] && echo 'no crash' || echo CRASH)"
    if [ "$status" = 0 ]; then passed=$((passed + 1)); else
      failed=$((failed + 1))
      grep -E 'panicked|SUMMARY|Test unit written' <<<"$out" | head -5
    fi
  done
  echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed (fuzz targets, ${seconds} s each)"
  [ "$failed" = 0 ]
}

serve() {
  setup
  build
  exec node www/server.mjs
}

# What each part of the player module costs (issue 14): the binding crate built with each part's
# cargo feature alone, optimised as `bundle` does; bench/size-parts.mjs prints the table.
# The README's picture: the demo's end-to-end forge test writes it (tests/node/demo.test.mjs, a
# standard viewer at 1280 px), and ffmpeg keeps it small (a 128-colour palette, no dithering).
screenshot() {
  local raw="$ROOT/target/screenshots/readme-raw.png"
  PLAYGATE_README_SHOT="$raw" node --test --test-name-pattern='^forge=1' tests/node/demo.test.mjs
  ffmpeg -loglevel error -y -i "$raw" \
    -vf 'split[a][b];[a]palettegen=max_colors=128:stats_mode=full[p];[b][p]paletteuse=dither=none' docs/demo.png
  log "docs/demo.png: $(stat -c %s docs/demo.png) bytes"
}

size_parts() {
  local name features dir
  for name in decisions scopes tokens manifests; do
    case "$name" in
      decisions) features=() ;;
      *) features=(--features "$name") ;;
    esac
    dir="$WORK/size-parts/$name"
    log "size of the player module with $name alone"
    release_build --no-default-features "${features[@]}"
    wasm-bindgen --target web --out-dir "$dir" --out-name playgate "target/$TARGET/release/playgate_wasm.wasm"
    wasm-opt -Oz --converge --low-memory-unused "${WASM_FEATURES[@]}" --strip-debug --strip-producers \
      "$dir/playgate_bg.wasm" -o "$dir/optimised.wasm"
  done
  node bench/size-parts.mjs "$WORK/size-parts" "$PKG"
  # The edge module's parts (issue 15): its build before wasm-opt, which keeps function names.
  command -v twiggy >/dev/null || cargo install twiggy --locked --quiet
  log "what the edge module's own parts weigh (twiggy)"
  release_build --features edge
  node bench/edge-parts.mjs "target/$TARGET/release/playgate_wasm.wasm"
}

bench() {
  setup
  build
  size_parts
  node bench/bench.mjs
  node bench/store.mjs
  node bench/soak.mjs
  node bench/manifests.mjs
  node bench/gate-node.mjs
  node bench/gate-workerd.mjs
  node bench/players.mjs
}

# The cache HTTP API emulator on its own (tests start their own in-process).
emulator() {
  setup
  build
  exec node www/cache-emulator.mjs "$@"
}

main() {
  case "${1:-}" in
    setup) setup ;;
    build) setup; build ;;
    test) test_all ;;
    serve) serve ;;
    bench) bench ;;
    size-parts) setup; build; size_parts ;;
    screenshot) setup; build; screenshot ;;
    emulator) shift; emulator "$@" ;;
    fuzz) shift; setup; fuzz_all "${1:-60}" ;;
    clean) rm -rf "$PKG" target ;;
    *) sed -n "2,14p" "$0"; exit 2 ;;
  esac
}

main "$@"
