# bash completion for swarm(1)                         -*- shell-script -*-
# Options come from each subcommand's own --help, so they cannot drift.

# Bus directories: swarm-* under $SWARM_SHM (or /dev/shm), then any dir.
_swarm_bus_dirs()
{
	local base=${SWARM_SHM:-/dev/shm} d
	for d in "$base"/swarm-*; do
		[[ -d $d && $d == "$1"* ]] && COMPREPLY+=("$d")
	done
	[[ $1 == */* || ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY+=($(compgen -d -- "$1"))
}

# Inbox names of the bus given by --dir on the line, or $SWARM_DIR.
_swarm_inboxes()
{
	local dir=${SWARM_DIR:-} i f
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --dir ]] && dir=${COMP_WORDS[i + 1]}
	done
	[[ -n $dir && -d $dir ]] || return
	for f in "$dir"/*.inbox; do
		[[ -e $f ]] || continue
		f=${f##*/}
		COMPREPLY+=($(compgen -W "${f%.inbox}" -- "$1"))
	done
}

_swarm()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local sub= i
	COMPREPLY=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in -*) ;; *) sub=${COMP_WORDS[i]}; break;; esac
	done
	if [[ -z $sub ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$1" --help 2>/dev/null |
				awk 'NR > 2 && /^$/ { exit } NR > 2 { print $1 }')" -- "$cur"))
		fi
		return
	fi

	# After "--" in run, soak and coordinator: the agents' command.
	for ((i = i + 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			if declare -F _command_offset > /dev/null; then
				_command_offset $((i + 1))
			else
				COMPREPLY=($(compgen -c -- "$cur"))
			fi
			return
		fi
	done

	case $prev in
	--dir) _swarm_bus_dirs "$cur"; return;;
	--as|--from|--to) _swarm_inboxes "$cur"; return;;
	--topology) COMPREPLY=($(compgen -W 'flat hybrid' -- "$cur")); return;;
	--type) COMPREPLY=($(compgen -W 'data task result heartbeat stop fail control' -- "$cur")); return;;
	--user) COMPREPLY=($(compgen -u -- "$cur")); return;;
	--tasks|--results|--samples|--metrics-file|--leak-fd|--timeline)
		COMPREPLY=($(compgen -f -- "$cur")); return;;
	--logs|--base|--shm) COMPREPLY=($(compgen -d -- "$cur")); return;;
	--bus|--join) COMPREPLY=($(compgen -W 'nats://' -- "$cur")); compopt -o nospace 2>/dev/null; return;;
	-n|-i|--agents|--workers|--coordinators|--count|--wait|--timeout|--heartbeat|\
	--interval|--duration|--seq|--id|--max-msgs|--max-bytes|--max-parallel|\
	--metrics-listen|--swarm|--ack-wait|--max-deliver|--live|--name|--parent|\
	--rounds|--sleep|--exit|--only|--leak-mem|--bus-id|--connect-timeout)
		return;;
	esac
	if [[ $cur == -* || $sub == @(run|soak|coordinator) ]]; then
		COMPREPLY=($(compgen -W "$("$1" "$sub" --help 2>&1 |
			grep -oE -- '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' |
			sed -E 's/^[^-]+//' | sort -u) --" -- "$cur"))
	fi
}
complete -F _swarm swarm
