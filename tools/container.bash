# tools/container.bash — a Debian image with swarm in it, without any
# registry; sourced by tests/e2e/container.sh and bench/run.
#
#   ct_dockerd_up          a daemon that answers: the running one, or one we
#                          start (no iptables, no bridge: the containers run
#                          with --network none and the host's network is
#                          left alone); overlay2, else vfs
#   ct_dockerd_release     stop the daemon if we started it and nobody else
#                          (another test, the bench) still uses it
#   ct_swarm_image BUILD   the image tag on stdout; builds what is missing:
#     base:  debootstrap --variant=minbase of the host's suite from the host's
#            Debian mirror, plus the libraries BUILD's binaries link, trimmed,
#            tarred, `docker import`ed as swarm-base:KEY. KEY hashes the
#            recipe (suite, mirror, arch, packages, debootstrap version), so
#            the tarball in $SWARM_CACHE (default /var/cache/swarm) and the
#            image are reused until one of them changes.
#     swarm: `make install DESTDIR` of BUILD copied onto the base
#            (create + cp + commit: no builder, no registry), tagged
#            swarm-test:HASH of the installed files; older swarm-test tags go.
#
# Functions return 0, or 3 after one line on stderr saying why (CT_WHY
# holds it too). Needs root, docker.io and debootstrap (tools/deps.sh).
# CT_DOCKER is the client: Debian's /usr/bin/docker when present (a
# newer client elsewhere on PATH may want buildx or a newer API).

CT_RECIPE=1
CT_ROOT=${SWARM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CT_CACHE=${SWARM_CACHE:-/var/cache/swarm}/container
CT_RUN=/run/swarm-container
CT_DOCKER=${SWARM_DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker)}
CT_WHY=''
CT_STARTED=0 CT_DPID=''

ct_fail() { CT_WHY=$*; echo "container: $*" >&2; return 3; }
ct_docker() { "$CT_DOCKER" "$@"; }
ct_answers() { timeout 10 "$CT_DOCKER" info > /dev/null 2>&1; }

# One start or build at a time on this machine.
ct_lock() { exec 7> /tmp/swarm-container.lock && flock 7; }
ct_unlock() { flock -u 7; exec 7>&-; }

ct_start_dockerd() { # DRIVER-OPTION...
	local log=$CT_RUN/dockerd.log i
	mkdir -p "$CT_RUN"
	rm -f "$CT_RUN/dockerd.pid"
	# setsid: the daemon outlives this shell and is not in its process group.
	setsid dockerd --iptables=false --ip6tables=false --ip-forward=false --bridge=none \
		--pidfile "$CT_RUN/dockerd.pid" "$@" > "$log" 2>&1 < /dev/null &
	CT_DPID=$!
	for ((i = 0; i < 300; i++)); do
		ct_answers && return 0
		[ -f "$CT_RUN/dockerd.pid" ] && ! kill -0 "$(cat "$CT_RUN/dockerd.pid")" 2> /dev/null && break
		sleep 0.1
	done
	[ -f "$CT_RUN/dockerd.pid" ] && kill "$(cat "$CT_RUN/dockerd.pid")" 2> /dev/null
	sleep 1
	return 1
}

ct_dockerd_up() {
	[ -n "$CT_DOCKER" ] || { ct_fail "no docker client (apt-get install docker.io)"; return 3; }
	# A shared lock for as long as this shell uses the daemon.
	exec 8> /tmp/swarm-container.users && flock -s 8
	ct_answers && return 0
	command -v dockerd > /dev/null || { ct_fail "no dockerd (apt-get install docker.io)"; return 3; }
	[ "$(id -u)" -eq 0 ] || { ct_fail "needs root to start dockerd"; return 3; }
	ct_lock
	if ! ct_answers; then
		if ! ct_start_dockerd; then
			echo "container: dockerd did not come up with its default storage driver" \
			     "($(grep -m1 -iE 'level=(error|fatal)' "$CT_RUN/dockerd.log" | cut -c1-160)); trying vfs" >&2
			ct_start_dockerd --storage-driver=vfs ||
				{ ct_unlock; ct_fail "dockerd does not start here: $(grep -m1 -iE 'level=(error|fatal)|failed' "$CT_RUN/dockerd.log" | cut -c1-200) (log: $CT_RUN/dockerd.log)"; return 3; }
		fi
		CT_STARTED=1
		echo "container: started dockerd ($(ct_docker info --format '{{.Driver}}, cgroup v{{.CgroupVersion}}, {{.ServerVersion}}' 2>/dev/null))" >&2
	fi
	ct_unlock
}

ct_dockerd_release() {
	[ "$CT_STARTED" = 1 ] || return 0
	# Exclusive only when no one else holds the shared lock.
	flock -x -n 8 || return 0
	local pid
	pid=$(cat "$CT_RUN/dockerd.pid" 2> /dev/null) || return 0
	kill "$pid" 2> /dev/null
	if [ "${CT_DPID:-}" = "$pid" ]; then
		wait "$pid" 2> /dev/null   # our child (setsid execs in place): reap it, pid 1 may not
	else
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
	fi
	CT_STARTED=0
}

# The host's Debian mirror for SUITE: deb822 .sources first, then
# sources.list; deb.debian.org when neither names one.
ct_mirror() {
	local suite=$1 f uris='' suites=''
	[ -n "${SWARM_CT_MIRROR:-}" ] && { echo "$SWARM_CT_MIRROR"; return; }
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			case $line in
			URIs:*) uris=${line#URIs:};;
			Suites:*) suites=${line#Suites:};;
			'') uris='' suites='';;
			esac
			if [ -n "$uris" ] && [[ " $suites " == *" $suite "* ]] && [[ $uris == *debian* ]] &&
			   [[ $uris != *security* ]]; then
				echo $uris | awk '{print $1}'; return
			fi
		done < "$f"
	done
	f=$(awk -v s="$suite" '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i == s) { print $(i-1); exit } }' \
		/etc/apt/sources.list 2> /dev/null)
	echo "${f:-http://deb.debian.org/debian}"
}

# Debian packages holding the shared libraries the binaries link.
ct_lib_packages() {
	local b l
	for b in "$@"; do ldd "$b" 2> /dev/null; done | awk '/=> \// { print $3 }' | sort -u |
	while read -r l; do
		dpkg -S "$(readlink -f "$l")" 2> /dev/null || dpkg -S "$l" 2> /dev/null
	done | cut -d: -f1 | sort -u | grep -vx 'libc6' | paste -sd, -
}

ct_base_image() { # BUILD -> tag on stdout
	local build=$1 suite arch mirror pkgs key tag tar tmp t0
	[ -r /etc/os-release ] && suite=$(. /etc/os-release; echo "${VERSION_CODENAME:-}")
	suite=${SWARM_CT_SUITE:-$suite}
	[ -n "$suite" ] || { ct_fail "cannot tell the Debian suite (set SWARM_CT_SUITE)"; return 3; }
	command -v debootstrap > /dev/null || { ct_fail "no debootstrap (apt-get install debootstrap)"; return 3; }
	arch=$(dpkg --print-architecture)
	mirror=$(ct_mirror "$suite")
	pkgs=$(ct_lib_packages "$build/swarm" "$build/swarm-core" "$build/swarm-trace")
	key=$(printf '%s\n' "recipe $CT_RECIPE" "$suite" "$arch" "$mirror" "$pkgs" \
		"$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-16)
	tag=swarm-base:$key
	ct_docker image inspect "$tag" > /dev/null 2>&1 && { echo "$tag"; return 0; }
	tar=$CT_CACHE/rootfs-$key.tar
	if [ ! -s "$tar" ]; then
		mkdir -p "$CT_CACHE"
		tmp=$(mktemp -d /var/tmp/swarm-rootfs.XXXXXX)
		t0=$SECONDS
		echo "container: debootstrap --variant=minbase $suite from $mirror (+ $pkgs), once" >&2
		if ! debootstrap --variant=minbase ${pkgs:+--include="$pkgs"} "$suite" "$tmp/rootfs" "$mirror" \
			> "$CT_CACHE/debootstrap-$key.log" 2>&1; then
			rm -rf "$tmp"
			ct_fail "debootstrap from $mirror failed: $(tail -n 1 "$CT_CACHE/debootstrap-$key.log") (log: $CT_CACHE/debootstrap-$key.log)"
			return 3
		fi
		# What a minimal image does not need: package caches, lists, docs.
		rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp"/rootfs/var/lib/apt/lists/* \
			"$tmp"/rootfs/usr/share/doc "$tmp"/rootfs/usr/share/man "$tmp"/rootfs/usr/share/locale
		tar --numeric-owner -C "$tmp/rootfs" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
		rm -rf "$tmp"
		echo "container: rootfs built in $((SECONDS - t0)) s, $(du -m "$tar" | cut -f1) MB: $tar" >&2
	fi
	ct_docker import --change 'ENV LANG=C.UTF-8' "$tar" "$tag" > /dev/null ||
		{ ct_fail "docker import $tar failed"; return 3; }
	echo "$tag"
}

ct_swarm_image() { # BUILD -> tag on stdout
	local build=${1:-build} base dest hash tag cid
	case $build in /*) ;; *) build=$CT_ROOT/$build;; esac
	ct_lock
	base=$(ct_base_image "$build") || { ct_unlock; return 3; }
	dest=$(mktemp -d /var/tmp/swarm-dest.XXXXXX)
	if ! make -C "$CT_ROOT" --no-print-directory -s install BUILD="$build" DESTDIR="$dest" \
		PREFIX=/usr/local > "$dest.log" 2>&1; then
		ct_unlock; rm -rf "$dest"
		ct_fail "make install DESTDIR failed: $(tail -n 1 "$dest.log")"; rm -f "$dest.log"
		return 3
	fi
	rm -f "$dest.log"
	hash=$( (echo "$base"; tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-C "$dest" -cf - .) | sha256sum | cut -c1-16)
	tag=swarm-test:$hash
	if ! ct_docker image inspect "$tag" > /dev/null 2>&1; then
		cid=$(ct_docker create "$base" /bin/true) &&
		ct_docker cp "$dest/." "$cid:/" &&
		ct_docker commit "$cid" "$tag" > /dev/null
		local rc=$?
		[ -n "$cid" ] && ct_docker rm "$cid" > /dev/null 2>&1
		[ $rc -eq 0 ] || { ct_unlock; rm -rf "$dest"; ct_fail "committing $tag failed"; return 3; }
		# Only the current build's image is kept.
		ct_docker images --format '{{.Repository}}:{{.Tag}}' swarm-test | grep -vx "$tag" |
			xargs -r "$CT_DOCKER" rmi > /dev/null 2>&1
	fi
	ct_unlock
	rm -rf "$dest"
	echo "$tag"
}
