/**
 * Shell completion, generated from the command definitions themselves (so it cannot fall
 * behind a new command or flag): `eegen completion bash` prints a bash script, `eegen
 * completion zsh` the same behind zsh's bashcompinit. Commands complete after `eegen`,
 * each command's flags after a `-`, host names after `--host` (from hosts.yaml in the
 * working directory), files elsewhere.
 */
import type { Command } from 'commander';
import { quoteLiteral } from '../shell/quote.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** The flags of a command, long and short, as its --help lists them. */
function flagsOf(c: Command): string[] {
  return [...c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)), '--help'];
}

export function completionScript(program: Command, shell: Shell): string {
  const commands = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
  const cases = program.commands
    .filter((c) => c.name() !== 'help')
    .map((c) => `        ${c.name()}) opts=${quoteLiteral(flagsOf(c).join(' '))} ;;`)
    .join('\n');
  const bash = `# eegen completion (${shell}): eval "$(eegen completion ${shell})" in your shell's rc file.
_eegen_complete() {
    local cur prev opts
    cur="\${COMP_WORDS[COMP_CWORD]}"
    prev="\${COMP_WORDS[COMP_CWORD-1]}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W ${quoteLiteral(`${commands.join(' ')} --help --version`)} -- "$cur") )
        return 0
    fi
    case "\${COMP_WORDS[1]}" in
${cases}
        *) opts='--help' ;;
    esac
    if [ "$prev" = --host ] && [ -f hosts.yaml ]; then
        COMPREPLY=( $(compgen -W "$(sed -n 's/^  \\([A-Za-z0-9_.-]*\\):.*/\\1/p' hosts.yaml)" -- "$cur") )
        return 0
    fi
    case "$cur" in
        -*) COMPREPLY=( $(compgen -W "$opts" -- "$cur") ) ;;
        *) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    esac
}
complete -o filenames -o default -F _eegen_complete eegen
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}
