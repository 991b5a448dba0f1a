/**
 * The shell snippet that takes a host's fingerprint. It runs on compute nodes we know
 * little about, so it is POSIX sh with only the tools every Unix has (tr, sed, head, uname,
 * getconf), reads lscpu, nvidia-smi, python3 and node only when present, and builds JSON
 * itself: every value passes through one escaping function, so quotes, backslashes and
 * control characters in a CPU or GPU name cannot break the file.
 */

export interface FingerprintScriptOptions {
  /** Where to write, relative to the job's working directory (the bundle). */
  path?: string;
}

/** POSIX single-quoted word. */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A snippet for a job script (sh, bash, zsh; `set -eu` in the caller is fine: it runs in
 * a subshell that turns both off). Writes the fingerprint as one line of JSON to `path`,
 * atomically, and appends it as a `fingerprint` event to `$EEGEN_EVENTS` when that is set.
 */
export function fingerprintScript(options: FingerprintScriptOptions = {}): string {
  const path = options.path ?? 'eegen-run/fingerprint.json';
  return `# eegen fingerprint: hardware and software of this host -> ${path.replace(/\n/g, ' ')}
(
set +e +u
eegen_fp_out=${shellWord(path)}
# A JSON string's content: tab/CR/LF become blanks, other control bytes go, \\ and " are escaped.
eegen_q() {
  printf '%s' "$1" | tr '\\011\\012\\015' '   ' | LC_ALL=C tr -d '\\000-\\010\\013\\014\\016-\\037' | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g'
}
eegen_int() { case $1 in ''|*[!0-9]*) ;; *) printf '%s' "$1" ;; esac; }
eegen_body=''
eegen_add() { if [ -n "$2" ]; then eegen_body="$eegen_body\${eegen_body:+,}\\"$1\\":$2"; fi; }
eegen_str() { if [ -n "$1" ]; then printf '"%s"' "$(eegen_q "$1")"; fi; }

eegen_add host "$(eegen_str "$(uname -n 2>/dev/null)")"

eegen_model=''
if command -v lscpu >/dev/null 2>&1; then
  eegen_model=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
fi
if [ -z "$eegen_model" ] && [ -r /proc/cpuinfo ]; then
  eegen_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
fi
if [ -z "$eegen_model" ]; then eegen_model=$(sysctl -n machdep.cpu.brand_string 2>/dev/null); fi
eegen_cores=$(eegen_int "$(getconf _NPROCESSORS_ONLN 2>/dev/null)")
eegen_allowed=$(eegen_int "$(nproc 2>/dev/null)")
if [ -n "$eegen_model$eegen_cores" ]; then
  eegen_cpu="\\"model\\":\\"$(eegen_q "$eegen_model")\\""
  if [ -n "$eegen_cores" ]; then eegen_cpu="$eegen_cpu,\\"cores\\":$eegen_cores"; fi
  if [ -n "$eegen_allowed" ]; then eegen_cpu="$eegen_cpu,\\"allowed\\":$eegen_allowed"; fi
  eegen_add cpu "{$eegen_cpu}"
fi

eegen_os=''
if [ -r /etc/os-release ]; then
  eegen_os=$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | head -n 1)
  eegen_os=\${eegen_os#[\\"\\']}; eegen_os=\${eegen_os%[\\"\\']}
fi
if [ -z "$eegen_os" ] && command -v sw_vers >/dev/null 2>&1; then
  eegen_os="$(sw_vers -productName 2>/dev/null) $(sw_vers -productVersion 2>/dev/null)"
fi
if [ -z "$eegen_os" ]; then eegen_os=$(uname -s 2>/dev/null); fi
eegen_add os "{\\"name\\":\\"$(eegen_q "$eegen_os")\\",\\"kernel\\":\\"$(eegen_q "$(uname -r 2>/dev/null)")\\",\\"arch\\":\\"$(eegen_q "$(uname -m 2>/dev/null)")\\"}"

if command -v nvidia-smi >/dev/null 2>&1; then
  eegen_to=''
  if command -v timeout >/dev/null 2>&1; then eegen_to='timeout 30'; fi
  eegen_smi=$($eegen_to nvidia-smi --query-gpu=name,driver_version,memory.total,uuid --format=csv,noheader,nounits 2>/dev/null)
  if [ $? -eq 0 ] && [ -n "$eegen_smi" ]; then
    eegen_gpus=''
    while IFS= read -r eegen_line; do
      if [ -z "$eegen_line" ]; then continue; fi
      eegen_name=\${eegen_line%%, *}; eegen_rest=\${eegen_line#*, }
      eegen_driver=\${eegen_rest%%, *}; eegen_rest=\${eegen_rest#*, }
      eegen_mem=$(eegen_int "\${eegen_rest%%, *}"); eegen_uuid=\${eegen_rest#*, }
      eegen_g="\\"name\\":\\"$(eegen_q "$eegen_name")\\",\\"driver\\":\\"$(eegen_q "$eegen_driver")\\""
      if [ -n "$eegen_mem" ]; then eegen_g="$eegen_g,\\"memoryMiB\\":$eegen_mem"; fi
      eegen_g="$eegen_g,\\"uuid\\":\\"$(eegen_q "$eegen_uuid")\\""
      eegen_gpus="$eegen_gpus\${eegen_gpus:+,}{$eegen_g}"
    done <<EEGEN_SMI_END
$eegen_smi
EEGEN_SMI_END
    eegen_add gpus "[$eegen_gpus]"
    eegen_add cuda "$(eegen_str "$($eegen_to nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\\([0-9][0-9.]*\\).*/\\1/p' | head -n 1)")"
  fi
fi

eegen_py=$( (python3 --version || python --version) 2>&1 | sed -n 's/^Python \\([0-9][0-9.]*\\).*/\\1/p' | head -n 1)
eegen_add python "$(eegen_str "$eegen_py")"
eegen_node=$(node --version 2>/dev/null | sed -n 's/^v\\([0-9][0-9.]*\\).*/\\1/p' | head -n 1)
eegen_add node "$(eegen_str "$eegen_node")"

eegen_ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$(dirname "$eegen_fp_out")" 2>/dev/null
printf '{"ts":"%s"%s}\\n' "$eegen_ts" "\${eegen_body:+,$eegen_body}" > "$eegen_fp_out.tmp.$$" && mv -f "$eegen_fp_out.tmp.$$" "$eegen_fp_out"
if [ -n "\${EEGEN_EVENTS:-}" ]; then
  printf '{"ts":"%s","event":"fingerprint"%s}\\n' "$eegen_ts" "\${eegen_body:+,$eegen_body}" >> "$EEGEN_EVENTS"
fi
) || true
`;
}
