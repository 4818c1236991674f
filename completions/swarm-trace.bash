# bash completion for swarm-trace(1)                   -*- shell-script -*-
_swarm_trace()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local base=${SWARM_SHM:-/dev/shm} d
	COMPREPLY=()
	case $prev in
	-p|--pid) COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur")); return;;
	--dir)
		for d in "$base"/swarm-*; do
			[[ -d $d && $d == "$cur"* ]] && COMPREPLY+=("$d")
		done
		[[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -d -- "$cur"))
		return;;
	-i|--interval|-d|--duration) return;;
	--timeline) COMPREPLY=($(compgen -f -- "$cur")); return;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$1" --help 2>&1 | grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z-]*' |
			sed -E 's/^[ ,]+//' | sort -u)" -- "$cur"))
	else
		COMPREPLY=($(compgen -W 'spawn flock fd latency all' -- "$cur"))
	fi
}
complete -F _swarm_trace swarm-trace
