#!/bin/sh
# agent.sh behind a barrier (inside.sh): arrive, wait for the release,
# then read the (large) task and answer with its hash.
: > "/tmp/arrived/$SWARM_AGENT"
read -r _ < /tmp/go
t=$(swarm recv --wait 60 --count 1) || exit 1
swarm send --to "$SWARM_PARENT" "$(printf '%s' "$t" | sha256sum | cut -c1-16)"
