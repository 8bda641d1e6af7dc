#!/usr/bin/env bash
# One entry point for people, CI and the Dockerfile.
#   ./build.sh bootstrap   install native pieces (idempotent, fast when done)
#   ./build.sh native      only fetch libonnxruntime.so.1 into .native/ (what the Dockerfile needs)
#   ./build.sh run [args]  run the service (embedded store, default model; demo model when offline)
#   ./build.sh test        bootstrap, build, run every test, print "N skipped", then "N passed, N failed" last
#   ./build.sh bench [filter]  run the benchmarks (installs their extra data)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

ORT_VERSION=1.30.0
# sha512 "integrity" of onnxruntime-node-1.30.0.tgz as published by the npm registry.
ORT_INTEGRITY="sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="
NATIVE="$ROOT/.native"
APT_RUNTIME=(libvips42)
# Test references: PyTorch/PIL on Debian's python, OpenBLAS so torch is not stuck on the reference BLAS.
APT_TEST=(python3-torch python3-onnx python3-numpy python3-pil libopenblas0-pthread python3-regex)
APT_BENCH=(python3-faiss lomiri-wallpapers-16.04)

log() { printf '[build] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_ensure() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

ort_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64) echo arm64 ;;
    *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
  esac
}

ort_ensure() {
  local dest="$NATIVE/onnxruntime"
  if [ -f "$dest/libonnxruntime.so.1" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$ORT_VERSION" ]; then
    return 0
  fi
  command -v npm >/dev/null || apt_ensure nodejs npm
  log "fetching onnxruntime-node@$ORT_VERSION for libonnxruntime.so.1"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null 2>&1)
  local tgz="$tmp/onnxruntime-node-$ORT_VERSION.tgz"
  local actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$ORT_INTEGRITY" ]; then
    rm -rf "$tmp"; echo "checksum mismatch for onnxruntime-node-$ORT_VERSION.tgz" >&2; exit 1
  fi
  tar -xzf "$tgz" -C "$tmp" "package/bin/napi-v6/linux/$(ort_arch)/libonnxruntime.so.1"
  mkdir -p "$dest"
  mv "$tmp/package/bin/napi-v6/linux/$(ort_arch)/libonnxruntime.so.1" "$dest/"
  echo "$ORT_VERSION" > "$dest/VERSION"
  rm -rf "$tmp"
}

# Node packages the reference tests run (the real Hugging Face tokenizers library).
node_ensure() {
  local dest="$NATIVE/node"
  [ -f "$dest/.done" ] && cmp -s "$dest/.done" tests/fixtures/reference/package.json && return 0
  mkdir -p "$dest"
  cp tests/fixtures/reference/package.json tests/fixtures/reference/package-lock.json "$dest/" 2>/dev/null || cp tests/fixtures/reference/package.json "$dest/"
  (cd "$dest" && npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund)
  cp tests/fixtures/reference/package.json "$dest/.done"
}

bootstrap() {
  apt_ensure "${APT_RUNTIME[@]}"
  ort_ensure
}

bootstrap_test() {
  bootstrap
  apt_ensure "${APT_TEST[@]}"
  command -v npm >/dev/null || apt_ensure nodejs npm
  [ -f tests/fixtures/reference/package.json ] && node_ensure
  return 0
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

run_tests() {
  bootstrap_test
  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"; mkdir -p "$results"
  dotnet build SearchService.sln -c Release -nologo -clp:ErrorsOnly
  local rc=0
  dotnet test SearchService.sln -c Release --no-build -nologo \
    --logger "trx" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=3000000 || rc=$?
  # dotnet test prints one summary per project; CI reads one line, summed over every .trx.
  local passed=0 failed=0 skipped=0
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    local counters; counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    local p f t e
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
  done
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; log "no test results were produced"; fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; log "dotnet test exited $rc without a failed test"; fi
  echo "$skipped skipped"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

case "${1:-}" in
  bootstrap) bootstrap_test ;;
  native) ort_ensure ;;
  # dotnet run starts in the project folder: keep the data in the repository's (ignored) data/ unless told otherwise.
  run) shift; bootstrap; export Storage__DataPath="${Storage__DataPath:-$ROOT/data}"
       exec dotnet run --project src/SearchService.Api -c Release -- "$@" ;;
  test) run_tests ;;
  bench) shift; bootstrap_test; apt_ensure "${APT_BENCH[@]}"
         exec dotnet run --project tests/SearchService.Benchmarks -c Release -- "$@" ;;
  *) echo "usage: $0 {bootstrap|run|test|bench}" >&2; exit 2 ;;
esac
