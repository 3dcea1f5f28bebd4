# bash completion for dockscalectl(1): commands, options, and service names asked of
# the running daemon (with the -H/-c given so far on the line).

_dockscalectl_services()
{
    local -a conn=()
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
        -H | --url | -c | --config)
            conn+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
            ;;
        esac
    done
    # The table's first column, header skipped; nothing when the daemon does not answer.
    "${DOCKSCALECTL:-dockscalectl}" "${conn[@]}" status 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_dockscalectl()
{
    local cur prev cmd i nops=0
    local commands="status explain events scale pause resume rollout health version help"
    local opts="-H --url --token-file -c --config --json --help --version"
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    case $prev in
    -H | --url | --since)
        return 0
        ;;
    --token-file | -c | --config)
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
        ;;
    esac

    # The command and how many operands follow it so far (options may come anywhere).
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -H | --url | --token-file | -c | --config | --since)
            ((i++))
            ;;
        -*) ;;
        *)
            if [[ -z $cmd ]]; then
                cmd=${COMP_WORDS[i]}
            else
                ((nops++))
            fi
            ;;
        esac
    done

    if [[ $cur == -* ]]; then
        case $cmd in
        events) opts+=" -f --follow --since" ;;
        rollout) opts+=" --restart" ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
    fi
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        return 0
    fi
    case $cmd in
    status | explain | events | scale | pause | resume | rollout)
        if ((nops == 0)); then
            COMPREPLY=($(compgen -W "$(_dockscalectl_services)" -- "$cur"))
        fi
        ;;
    esac
    return 0
}

complete -F _dockscalectl dockscalectl
