/**
 * A small Dockerfile reader for checks and for scripts/docker-build-stage.sh: instructions (continuation lines
 * joined, comments and parser directives dropped, `--flag=value` options split off, exec-form JSON arrays parsed)
 * grouped into stages by FROM, with `${ARG}` references in FROM resolved from the global ARG defaults.
 * It reads what Outrider's own Dockerfile uses; heredocs and escape-directive changes are not supported.
 */

export interface Instruction {
  keyword: string;
  /** Options such as --from=build, --chown=..., --interval=30s. */
  flags: Record<string, string>;
  /** The rest of the line after the options. */
  args: string;
  /** Exec form (`["a", "b"]`) parsed, when the arguments are a JSON array. */
  exec?: string[];
  line: number;
}

export interface Stage {
  /** The image or earlier stage it starts from, ARGs resolved. */
  from: string;
  name?: string;
  index: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function splitFlags(rest: string): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  let s = rest;
  for (;;) {
    const m = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(s);
    if (!m) break;
    flags[m[1]!] = m[2] ?? 'true';
    s = s.slice(m[0].length);
  }
  return { flags, args: s };
}

export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string, dflt: string | undefined, b: string) => {
    const name = a ?? b;
    return vars[name] ?? dflt ?? '';
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const logical: { text: string; line: number }[] = [];
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (buf === '' && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (buf !== '' && trimmed.startsWith('#')) return; // comments inside a continued instruction
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, '') + ' ';
      return;
    }
    buf += raw;
    logical.push({ text: buf.trim(), line: start });
    buf = '';
  });
  if (buf.trim() !== '') logical.push({ text: buf.trim(), line: start });

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^([A-Za-z]+)\s*(.*)$/s.exec(l.text);
    if (!m) throw new Error(`Dockerfile line ${l.line}: cannot read ${JSON.stringify(l.text)}`);
    const keyword = m[1]!.toUpperCase();
    const { flags, args } = splitFlags(m[2]!);
    const ins: Instruction = { keyword, flags, args, line: l.line };
    // HEALTHCHECK [options] CMD [...]: the exec form follows CMD.
    const execText = keyword === 'HEALTHCHECK' ? args.replace(/^CMD\s+/i, '') : args;
    if (execText.startsWith('[')) {
      try {
        const v = JSON.parse(execText) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) ins.exec = v;
      } catch {
        /* shell form after all */
      }
    }
    if (keyword === 'FROM') {
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(args);
      if (!fm) throw new Error(`Dockerfile line ${l.line}: bad FROM ${JSON.stringify(args)}`);
      const stage: Stage = { from: substitute(fm[1]!, globalArgs), index: stages.length, instructions: [] };
      if (fm[2]) stage.name = fm[2];
      stages.push(stage);
      continue;
    }
    if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile line ${l.line}: ${keyword} before the first FROM`);
      const am = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args.trim());
      if (am) globalArgs[am[1]!] = (am[2] ?? '').replace(/^"(.*)"$/, '$1');
      continue;
    }
    stages[stages.length - 1]!.instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** Splits a shell-form argument list on whitespace (COPY sources and destination; no quoting needed here). */
export function words(args: string): string[] {
  return args.trim().split(/\s+/).filter(Boolean);
}

/** Sources and destination of a COPY/ADD (exec or shell form). */
export function copyParts(ins: Instruction): { sources: string[]; dest: string } {
  const parts = ins.exec ?? words(ins.args);
  return { sources: parts.slice(0, -1), dest: parts[parts.length - 1] ?? '' };
}
