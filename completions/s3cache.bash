# bash completion for s3cache, generated from its click commands.
_s3cache_completion() {
    local IFS=$'\n'
    local response completion type value

    # The line itself, and the part of its last word that bash will replace
    # ($2): bash has split type=s3,reg at the '=' already.
    response=$(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" COMP_CUR="$2" \
_S3CACHE_COMPLETE=bash_complete "$1")

    for completion in $response; do
        type=${completion%%,*}
        value=${completion#*,}
        case $type in
            dir) COMPREPLY=(); compopt -o dirnames ;;
            file) COMPREPLY=(); compopt -o default ;;
            nospace) COMPREPLY+=("$value"); compopt -o nospace ;;
            plain) COMPREPLY+=("$value") ;;
        esac
    done
    return 0
}

complete -o nosort -F _s3cache_completion s3cache
