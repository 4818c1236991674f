#!/usr/bin/env bash
# Install every build and test dependency from Debian packages.
# Idempotent: only runs apt-get when something is missing, so `make test`
# can call it on every run at no cost.
set -euo pipefail

pkgs=(
  make gcc clang llvm pkg-config
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libcmocka-dev libcap-ng-dev
  libclang-rt-14-dev
  util-linux procps psmisc jq
  tmux                         # tests/e2e/top_tmux.sh drives swarm top in a terminal
  parallel                     # tests compare plain commands against GNU parallel
  prometheus python3
  bpftrace                     # bench/bpftrace_check.sh cross-checks the tracer against it
  libnats-dev nats-server      # the coordinator mesh over NATS JetStream (optional at build time)
  docker.io debootstrap        # tests/e2e/container.sh: a registry-free Debian image, swarm inside
  python3-yaml                 # tests/e2e/container_k8s.sh parses examples/k8s/swarm-job.yaml
  iproute2                     # tests/e2e/nats_netns*.sh: hosts as network namespaces (ip netns, veth, bridge)
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "swarm: missing packages: ${missing[*]}; run 'make deps' as root" >&2
  exit 3
fi
echo "swarm: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
