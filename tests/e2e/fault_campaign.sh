#!/usr/bin/env bash
# Short fault-injection campaign (tests/fault/campaign.sh): SIGKILL at every
# bus step, a full tmpfs, a low fd limit and a full inbox, 3 runs each, and
# hybrid coordinators at each bookkeeping step, 2 runs each; lost,
# double-counted and corrupt-delivered must be 0. The long one: make fault-campaign.
set -u
root=${SWARM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exec "$root/tests/fault/campaign.sh" "${SWARM_BUILD:-$root/build}"
