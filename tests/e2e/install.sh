#!/usr/bin/env bash
# make install DESTDIR=... PREFIX=/usr gives the tree a Debian packager
# expects, the library exports swarm_* only, the example agent builds
# against the installed copy through pkg-config (shared and static) and
# answers in a real swarm run by the installed swarm; make uninstall
# removes every file install put there. Then again with a multiarch LIBDIR.
set -u
root=${SWARM_ROOT:-.}
build=${SWARM_BUILD:-$root/build}
fail() { echo "FAIL: $*"; exit 1; }
for t in pkg-config nm readelf; do
	command -v $t > /dev/null || { echo "SKIP: $t missing"; exit 77; }
done
# make asan-e2e runs this against build-asan: a library built with
# -fsanitize needs the sanitizer runtime in every program that links it,
# which is not what is installed or what a user builds against.
if nm -D "$build"/lib/libswarm.so.0 2>/dev/null | grep -qE ' U __(asan|tsan|ubsan)_'; then
	echo "SKIP install: $build is a sanitizer build; the installed library would need its runtime"
	exit 77
fi
tmp=$(mktemp -d /tmp/swarm-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export SWARM_SHM=$tmp/shm TMPDIR=$tmp/tmp
mkdir -p "$SWARM_SHM" "$TMPDIR"
version=$("$root/tools/version.sh")
mk() { make -s --no-print-directory -C "$root" BUILD="$build" "$@" > "$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log"; fail "make $*"; }; }
tree() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort); }

# install_check DESTDIR LIBDIR(relative, e.g. usr/lib)
install_check() {
	local d=$1 lib=$2 so real want got sym
	mk install DESTDIR="$d" PREFIX=/usr ${3:+LIBDIR=/$lib}
	real=libswarm.so.$(sed 's/[^0-9.].*//' "$root/VERSION")
	want=$(
		printf '%s\n' usr/bin/swarm usr/bin/swarm-trace usr/libexec/swarm/swarm-core \
			"$lib/$real" "$lib/libswarm.so.0" "$lib/libswarm.so" "$lib/libswarm.a" \
			"$lib/pkgconfig/libswarm.pc" usr/include/swarm/swarm.h \
			usr/share/bash-completion/completions/swarm \
			usr/share/bash-completion/completions/swarm-trace \
			usr/share/zsh/vendor-completions/_swarm
		for p in "$root"/man/*.1; do echo "usr/share/man/man1/${p##*/}"; done
		for p in "$root"/man/*.7; do echo "usr/share/man/man7/${p##*/}"; done
	)
	want=$(sort <<< "$want")
	got=$(tree "$d")
	[ "$got" = "$want" ] || fail "installed tree differs:
$(diff <(echo "$want") <(echo "$got"))"
	# Only the public header; mode 0644 for data, 0755 for programs.
	[ "$(stat -c %a "$d/usr/include/swarm/swarm.h")" = 644 ] || fail "header mode"
	[ "$(stat -c %a "$d/usr/bin/swarm")" = 755 ] || fail "binary mode"
	[ "$(readlink "$d/$lib/libswarm.so")" = libswarm.so.0 ] || fail "dev symlink"
	[ "$(readlink "$d/$lib/libswarm.so.0")" = "$real" ] || fail "soname symlink"

	so=$d/$lib/$real
	readelf -d "$so" | grep -q 'SONAME.*\[libswarm\.so\.0\]' || fail "soname"
	sym=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBRVW]/ { print $3 }' | sed 's/@.*//' | grep -v '^swarm_')
	[ -z "$sym" ] || fail "libswarm.so exports non-swarm_ names: $sym"
	nm -D --defined-only "$so" | grep -q ' swarm_recv@@SWARM_0$' || fail "versioned swarm_recv"
	sym=$(nm -g --defined-only "$d/$lib/libswarm.a" | awk 'NF == 3 { print $3 }' | grep -v '^swarm_')
	[ -z "$sym" ] || fail "libswarm.a has global non-swarm_ names: $sym"
	# Nothing but libc (and libpthread) needed.
	needed=$(readelf -d "$so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep -vE '^lib(c|pthread)\.so')
	[ -z "$needed" ] || fail "libswarm.so needs $needed"

	export PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_LIBDIR=$d/$lib/pkgconfig
	[ "$(pkg-config --modversion libswarm)" = "$version" ] || fail "pc version"
	pkg-config --static --libs libswarm | grep -q -- -lpthread || fail "Libs.private"
	[ "$(pkg-config --variable=libdir libswarm)" = "$d/$lib" ] || fail "pc libdir"
	# The header stands alone, strict C11.
	printf '#include <swarm/swarm.h>\nint main(void){return swarm_exit_code(0);}\n' > "$tmp/h.c"
	cc -std=c11 -pedantic -Wall -Wextra -Werror $(pkg-config --cflags libswarm) -c "$tmp/h.c" \
		-o "$tmp/h.o" || fail "header does not compile alone"
	make -s -C "$root/examples" OUT="$tmp/shared" > /dev/null || fail "example (shared)"
	make -s -C "$root/examples" OUT="$tmp/static" STATIC=1 > /dev/null || fail "example (static)"
	unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
	readelf -d "$tmp/shared/agent" | grep -q 'NEEDED.*libswarm\.so\.0' || fail "shared agent"
	readelf -d "$tmp/static/agent" | grep -q 'libswarm' && fail "static agent needs libswarm.so"

	# A real swarm of the installed swarm: 3 agents, 7 tasks (pool agents
	# loop until the stop), every answer from the library.
	printf 'alpha\nbeta\ngamma\ndelta\neps\nzeta\neta\n' > "$tmp/tasks"
	for kind in shared static; do
		LD_LIBRARY_PATH=$d/$lib "$d/usr/bin/swarm" run -n 3 --no-trace --tasks "$tmp/tasks" \
			--results "$tmp/$kind.jsonl" --json -- "$tmp/$kind/agent" > "$tmp/$kind.json" ||
			{ cat "$tmp/$kind.json"; fail "swarm run of the $kind example agent"; }
		python3 - "$tmp/$kind.jsonl" "$tmp/$kind.json" <<'PY' || fail "$kind agent answers"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))
assert rep["delivered"] == rep["expected"] == 7, rep
assert len(rows) == 7, rows
for r in rows:
    assert r["status"] == "ok", r
    assert r["output"] == r["agent"] + " " + r["input"].upper(), r
assert len({r["agent"] for r in rows}) >= 2, rows
PY
	done

	# The man pages and completions are found where man and bash look.
	MANPATH=$d/usr/share/man man -w swarm-run > /dev/null 2>&1 || fail "man -w swarm-run"
	MANPATH=$d/usr/share/man man -w 7 swarm-bus > /dev/null 2>&1 || fail "man -w 7 swarm-bus"
	grep -q "swarm $version" "$d/usr/share/man/man1/swarm.1" || fail "man page version"
	bash -c ". '$d/usr/share/bash-completion/completions/swarm'; complete -p swarm" > /dev/null ||
		fail "bash completion does not load"

	mk uninstall DESTDIR="$d" PREFIX=/usr ${3:+LIBDIR=/$lib}
	got=$(tree "$d")
	[ -z "$got" ] || fail "uninstall left: $got"
	[ ! -e "$d/usr/include/swarm" ] && [ ! -e "$d/usr/libexec/swarm" ] ||
		fail "uninstall left our directories"
}

install_check "$tmp/dest" usr/lib
install_check "$tmp/multiarch" "usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)" multiarch
echo "install/uninstall: Debian layout, swarm_* only, example agent ran from the install"
