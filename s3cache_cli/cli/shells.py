"""Shell completion scripts for bash, zsh and fish, and their side in Python.

Click's own scripts almost fit. Two things differ: a suggestion may end in
``=``, ``,`` or ``/`` and then wants no space after it; and bash splits
``type=s3,reg`` at the ``=`` before any completion function sees it. The
bash script therefore sends the line itself and the word bash will replace,
and each reply leaves out what comes before that word.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ShellComplete,
    ZshComplete,
    add_completion_class,
    split_arg_string,
)

_HEADER = "# {shell} completion for {prog_name}, generated from its click commands.\n"

_SOURCE_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response completion type value

    # The line itself, and the part of its last word that bash will replace
    # ($2): bash has split type=s3,reg at the '=' already.
    response=$(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" COMP_CUR="$2" \\
%(complete_var)s=bash_complete "$1")

    for completion in $response; do
        type=${completion%%%%,*}
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

complete -o nosort -F %(complete_func)s %(prog_name)s
"""

_SOURCE_ZSH = """\
#compdef %(prog_name)s

%(complete_func)s() {
    local -a response spaced spaced_described joined joined_described
    local type key descr
    (( ! $+commands[%(prog_name)s] )) && return 1

    response=("${(@f)$(env COMP_WORDS="${words[*]}" COMP_CWORD=$((CURRENT-1)) \\
%(complete_var)s=zsh_complete %(prog_name)s)}")

    for type key descr in ${response}; do
        case $type in
            plain) [[ $descr == _ ]] && spaced+=("$key") \\
                || spaced_described+=("$key:$descr") ;;
            nospace) [[ $descr == _ ]] && joined+=("$key") \\
                || joined_described+=("$key:$descr") ;;
            dir) _path_files -/ ;;
            file) _path_files -f ;;
        esac
    done

    (( $#spaced_described )) && _describe -V unsorted spaced_described -U
    (( $#spaced )) && compadd -U -V unsorted -a spaced
    (( $#joined_described )) && _describe -V unsorted joined_described -U -S ''
    (( $#joined )) && compadd -U -V unsorted -S '' -a joined
    return 0
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    %(complete_func)s "$@"
else
    compdef %(complete_func)s %(prog_name)s
fi
"""

# Click's fish script, but split each reply at its first comma only: a flag
# string has commas of its own.
_SOURCE_FISH = """\
function %(complete_func)s
    set -l response (env %(complete_var)s=fish_complete \\
        COMP_WORDS=(commandline -cp) COMP_CWORD=(commandline -t) %(prog_name)s)

    for completion in $response
        set -l metadata (string split -m 1 "," -- $completion)
        switch $metadata[1]
            case dir
                __fish_complete_directories $metadata[2]
            case file
                __fish_complete_path $metadata[2]
            case plain
                printf '%%s\\n' $metadata[2]
        end
    end
end

complete --no-files --command %(prog_name)s --arguments "(%(complete_func)s)"
"""


def _kind(item: CompletionItem) -> str:
    return "nospace" if item.type == "plain" and item.nospace else item.type


class S3CacheBash(BashComplete):
    """Reads the line up to the cursor, so ``=`` and ``:`` stay inside a word."""

    source_template: ClassVar[str] = _SOURCE_BASH
    _strip: str = ""

    def source(self) -> str:
        return script_text(self)

    def get_completion_args(self) -> tuple[list[str], str]:
        line = os.environ.get("COMP_LINE")
        if line is None:  # called as click's own script calls it
            return super().get_completion_args()

        last = _last_raw_word(line)
        words = split_arg_string(line)
        args, incomplete = words[1:], ""
        if last:
            args, incomplete = words[1:-1], words[-1]

        replaced = os.environ.get("COMP_CUR", incomplete)
        if incomplete.endswith(replaced):
            self._strip = incomplete[: len(incomplete) - len(replaced)]
        return args, incomplete

    def format_completion(self, item: CompletionItem) -> str:
        value = str(item.value)
        if value.startswith(self._strip):
            value = value[len(self._strip) :]
        return f"{_kind(item)},{value}"


class S3CacheZsh(ZshComplete):
    source_template: ClassVar[str] = _SOURCE_ZSH

    def format_completion(self, item: CompletionItem) -> str:
        help_ = item.help or "_"
        value = str(item.value).replace(":", r"\:") if help_ != "_" else item.value
        return f"{_kind(item)}\n{value}\n{help_}"


class S3CacheFish(FishComplete):
    """Fish adds no space after a suggestion ending in ``=``, ``,`` or ``/``."""

    source_template: ClassVar[str] = _SOURCE_FISH

    def source(self) -> str:
        return script_text(self)


def register() -> None:
    """Use these classes for ``_S3CACHE_COMPLETE=<shell>_source|_complete``."""
    add_completion_class(S3CacheBash, "bash")
    add_completion_class(S3CacheZsh, "zsh")
    add_completion_class(S3CacheFish, "fish")


SHELLS: dict[str, type[ShellComplete]] = {
    "bash": S3CacheBash,
    "zsh": S3CacheZsh,
    "fish": S3CacheFish,
}
SCRIPT_NAMES = {"bash": "s3cache.bash", "zsh": "_s3cache", "fish": "s3cache.fish"}


def script(shell: str, command: Any, prog_name: str = "s3cache") -> str:
    """The completion script for ``shell``, as ``completions/`` holds it."""
    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    completer = SHELLS[shell](command, {}, prog_name, complete_var)
    return completer.source()


def script_text(completer: ShellComplete) -> str:
    body = completer.source_template % completer.source_vars()
    header = _HEADER.format(shell=completer.name, prog_name=completer.prog_name)
    if body.startswith("#compdef"):
        first, _, rest = body.partition("\n")
        return f"{first}\n{header}{rest}"
    return header + body


def _last_raw_word(line: str) -> str:
    """The text after the last whitespace that is not quoted or escaped."""
    start, quote, escaped = 0, "", False
    for index, character in enumerate(line):
        if escaped:
            escaped = False
        elif character == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if character == quote else quote
        elif character in "'\"":
            quote = character
        elif character.isspace():
            start = index + 1
    return line[start:]
