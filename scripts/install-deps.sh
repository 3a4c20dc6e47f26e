#!/usr/bin/env bash
# Installs the Debian packages meshbeat needs to build, test and benchmark.
# Idempotent: does nothing (not even `apt-get update`) when all are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
  libsodium-dev libuv1-dev liblmdb-dev libcbor-dev libcurl4-openssl-dev
  libjansson-dev libconfuse-dev libcmocka-dev libmicrohttpd-dev libseccomp-dev
  # Raft for the RAID coordinators (src/consensus): libraft 0.15, with its
  # deterministic fixture.
  libraft-dev
  python3 python3-cbor2 python3-cryptography python3-nacl python3-jsonschema
  iproute2 nftables
  # The HTTP listener's test: curl fetches /metrics, promtool (only packaged
  # in Debian's prometheus: 19 MB download, 96 MB installed) checks it.  Its
  # postinst would start a Prometheus on :9090 where services may start;
  # Debian's container images forbid that (policy-rc.d), and no test uses it.
  curl prometheus
  # The unit's tests: systemd-analyze (systemd's syscall sets, `verify`),
  # man (verify's Documentation= check), setpriv and unshare (util-linux).
  systemd man-db util-linux
  # make run's test: the job in an 80x24 pane.
  tmux
  # docs/operations.md's revocation block (run by doc_setup_certlife) picks
  # the node id out of `meshbeat members --json`; pkill (procps) reloads.
  jq procps
  # The pages' tests (tests/browser): Debian's headless Chromium driven
  # through its chromedriver by python3-selenium; one font so screenshots
  # look the same on every machine.
  chromium chromium-driver python3-selenium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
