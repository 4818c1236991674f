#!/usr/bin/env bash
# The repository carries everything it refers to and nothing of the
# machine it was written on: no absolute home/build-machine paths, every
# relative Markdown link and every docs/ or man/ file named in the docs
# and the sources exists.
set -u
root=${SWARM_ROOT:-.}
cd "$root" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	mapfile -t files < <(git ls-files | grep -v '^vmlinux/')
else
	mapfile -t files < <(find . -type f ! -path './.git/*' ! -path './build*' ! -path './vmlinux/*' | sed 's|^\./||')
fi
[ ${#files[@]} -gt 50 ] || fail "found only ${#files[@]} files"

# /work/..., /home/..., /root/..., /Users/... at the start of a path.
bad=$(grep -nIE "(^|[[:space:]\"'=:(,])/(work|home|root|Users)/" "${files[@]}" 2>/dev/null |
	grep -v '^tests/e2e/repo_refs.sh:')
[ -z "$bad" ] || fail "machine-specific paths:
$bad"

# Relative links in Markdown files: [text](path) resolved from the file.
missing=
for f in "${files[@]}"; do
	case $f in *.md) ;; *) continue;; esac
	while IFS= read -r link; do
		link=${link%%#*}
		[ -n "$link" ] || continue
		case $link in http://*|https://*|mailto:*) continue;; esac
		[ -e "$(dirname "$f")/$link" ] || missing+="$f -> $link"$'\n'
	done < <(grep -oE '\]\([^)]+\)' "$f" | sed 's/^](//; s/)$//')
done
[ -z "$missing" ] || fail "broken links:
$missing"

# docs/*.md, man/*.[0-9], examples/* and PERFORMANCE_TARGETS.md named anywhere.
for ref in $(grep -ohIE '\b(docs/[A-Za-z0-9_.-]+\.md|man/[A-Za-z0-9_.-]+\.[0-9]|examples/[A-Za-z0-9_.-]+\.c)\b' "${files[@]}" | sort -u); do
	[ -e "$ref" ] || fail "referenced but missing: $ref"
done
for f in "${files[@]}"; do
	grep -qIE '(^|[^/A-Za-z])PERFORMANCE_TARGETS\.md' "$f" 2>/dev/null || continue
	grep -qE 'docs/PERFORMANCE_TARGETS\.md|\(PERFORMANCE_TARGETS\.md\)' "$f" ||
		case $f in docs/*) ;; *) fail "$f names PERFORMANCE_TARGETS.md without its place (docs/)";; esac
done
[ -f docs/PERFORMANCE_TARGETS.md ] || fail "docs/PERFORMANCE_TARGETS.md missing"
echo "every reference resolves; no machine paths"
