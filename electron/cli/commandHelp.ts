// The help texts of `pcilab`: each command's synopsis, one-line summary (the overview `pcilab help`
// prints) and help (`pcilab help <command>`, `pcilab <command> --help`).
// Must not: parse or run anything (electron/cli/main.ts does).

import { BISECT_USAGE } from './bisect';
import { EXPERIMENT_HELP } from './experiment';

const DB_HELP = '  --db PATH        the lab database (default: $PCILAB_DB, else the data directory)';

/** Each command's synopsis, one-line summary (the overview) and help (`pcilab help <command>`). */
export const COMMANDS: Readonly<Record<string, { readonly synopsis: string; readonly summary: string; readonly help: string }>> = {
  run: {
    synopsis: 'run <file | preset> [--seed N] [--set a.b.c=value ...] [--json] [--progress] [--db PATH]',
    summary: 'run a scenario file (JSON or YAML) or a preset and store the run',
    help: `Simulates a scenario file (JSON or YAML, at most 8 MiB) or a shipped preset (pcilab presets)
and stores the run; prints its metrics, ops and claims (with why a claim does not hold, its
expectation and its source).

  --seed N         the random seed (default: the scenario's)
  --set a.b.c=V    override one scenario field; repeat for more
  --json           print one JSON object: {"run", "metrics", "memlock", "ops", "claims"}
  --progress       show progress on stderr even when it is not a terminal (on a terminal it is shown anyway)
${DB_HELP}

Exit status: 0 the run completed (also when the simulated system failed), 2 invalid input, 1 the
environment is broken (one line naming the file) or an internal error.`,
  },
  runs: {
    synopsis: 'runs [--json] [--db PATH]',
    summary: 'list stored runs',
    help: `Lists the stored runs, newest first (also shown in the app). Opens the database read-only.

  --json           print the list as JSON
${DB_HELP}`,
  },
  compare: {
    synopsis: 'compare <run> <run>... [--json] [--db PATH]',
    summary: 'metrics side by side (* = differs by more than 1 %) and configuration differences',
    help: `Compares stored runs: their metrics side by side (* marks a metric that differs by more than
1 %), then the configuration fields that differ. Opens the database read-only.

  --json           print the comparison as JSON
${DB_HELP}`,
  },
  export: {
    synopsis: 'export <run> --format perfetto|csv|json|bundle [--out FILE|-] [--db PATH]',
    summary: 'write a stored run as a Perfetto trace (Chrome JSON), CSV, JSON or a portable run bundle',
    help: `Writes a stored run as a Perfetto trace (Chrome JSON; ui.perfetto.dev opens it), its timeline as
CSV, the whole run as JSON, or a portable run bundle (gzip'd JSON lines with everything the run is,
versioned and checksummed; pcilab import adds it to another lab, docs/bundles.md describes it).
Opens the database read-only.

  --format F       perfetto, csv, json or bundle
  --out FILE       where to write; - writes to stdout (a bundle: default run-<id>-<name>.pcilab-run.jsonl.gz)
${DB_HELP}`,
  },
  'export-comparison': {
    synopsis: 'export-comparison <saved comparison> [--out FILE|-] [--db PATH]',
    summary: "write a saved comparison (its runs' references, its table, the saved queries) as a file",
    help: `Writes a saved comparison (saved on the app's Compare screen) as versioned JSON: a reference to
each of its runs (id, name, seed, creation time, timeline and content hash), the comparison table
(metrics side by side, configuration differences), what the view showed, and the lab's saved
queries. import-comparison reads it into another lab that holds the same runs (import their bundles
first). Opens the database read-only. Without an id it lists the saved comparisons.

  --out FILE       where to write; - writes to stdout (default comparison-<id>-<name>.pcilab-comparison.json)
${DB_HELP}`,
  },
  'import-comparison': {
    synopsis: 'import-comparison <file> [--json] [--db PATH]',
    summary: 'save an exported comparison over the same runs in this lab, with its saved queries',
    help: `Reads a comparison file (pcilab export-comparison, or Export on the app's Compare screen), finds
its runs in this lab by content hash (runs imported from their bundles are found), saves the
comparison over them and adds the saved queries this lab does not have (same name and SQL).
Runs not found are left out and named; fewer than two found is refused.

  --json           print {"comparisonId", "name", "runIds", "missingRuns", "queriesAdded", "queriesKnown"}
${DB_HELP}

Exit status: 0 saved, 2 the file is not a comparison file (one line per bad field), 1 fewer than two
of its runs are in this lab, or the environment is broken.`,
  },
  import: {
    synopsis: 'import <bundle>... [--json] [--db PATH]',
    summary: 'add portable run bundles (pcilab export --format bundle) to the lab as new runs',
    help: `Adds each run bundle to the lab as a new run (a new id; nothing stored is changed), in one
transaction per bundle. A bundle whose content hash is that of a run already in the lab is a
duplicate: reported with that run's id and skipped. A bundle of a newer format version, a damaged
one (bad checksum, truncated) or a file that is not a bundle is refused with one line naming it,
and nothing of it is stored; the other bundles are still imported.

  --json           print one JSON object per bundle: {"file", "status", "runId", "contentHash" | "error"}
${DB_HELP}

Exit status: 0 every bundle was imported or already there, 2 some bundle was refused, 1 the
environment is broken (one line naming the file).`,
  },
  query: {
    synopsis: 'query <run> "SELECT ..." [--json | --csv] [--max-rows N] [--timeout MS] [--db PATH]',
    summary: 'ask a stored run a question in read-only SQL (views: events, counters, metrics, claims, ...)',
    help: `Runs one read-only SQL statement (SELECT, WITH ... SELECT, VALUES) over views of a stored run:
  events(seq, t_ns, dur_ns, end_ns, kind, failure, variant, lane, lane_group, args, errno, cause)
      args: the event's arguments as a JSON object (args ->> 'iova'); errno: its symbolic errno
  counters(variant, name, unit, t_ns, value)     one row per sample
  metrics(variant, name, value, unit)
  claims(idx, id, holds, measured, unit, expectation, text, source, why_not)
  ops(idx, op, ok, errno, ret)   lanes(id, variant, name, lane_group, events)   kinds(id, name, failure, args)
and the function counter_at(name, t_ns [, variant]): a counter's last sample at or before t_ns.

  --json           print {"columns", "rows", "truncated"} (default: a table)
  --csv            print CSV with a header line
  --max-rows N     at most N rows (default 1000, at most 100000); more are cut, with a note on stderr
  --timeout MS     stop the query after MS milliseconds (default 10000)
${DB_HELP}

Example (preset s390-rpcit-exhaustion: which maps failed, and the VFIO entry count then):
  pcilab query 1 "SELECT variant, t_ns, args ->> 'iova' AS iova, errno,
    counter_at('vfio.entries', t_ns, variant) AS vfio_entries
    FROM events WHERE kind = 'dma.map.failed' ORDER BY t_ns LIMIT 20"

Exit status: 0 answered, 2 the query is not a single SELECT, SQLite rejects it or it runs past
--timeout, 1 no such run or a broken database.`,
  },
  delete: {
    synopsis: 'delete <run>... [--db PATH]',
    summary: 'delete stored runs (their results and timelines)',
    help: `Deletes stored runs with their results and timelines, as the app's Delete does. A run still
queued or running (in the app, the browser mode or another pcilab) is refused: cancel it there
first. Run ids are never reused.

${DB_HELP}

Exit status: 0 every run was deleted, 1 some run is missing or still running (the others are deleted).`,
  },
  'import-trace': {
    synopsis: 'import-trace <trace> [--qemu-log FILE] [--scenario FILE | --preset ID] [--set ...] [--json] [--db PATH]',
    summary: 'store a real trace (ftrace / trace-cmd text, QEMU -trace log) as a run, replayed on a host',
    help: `Reads a real guest trace (the tracefs trace file or trace-cmd report text with iommu:map /
iommu:unmap, dma:*, intel_iommu:qi_submit events; gzip'd or not) and QEMU -trace logs into a
stored run; its DMA maps and unmaps replay on a host (default: s390 KVM, QEMU 7.1).

  --qemu-log FILE  a QEMU -trace log to add (repeat for more)
  --scenario FILE  the host side to replay on, from a scenario file
  --preset ID      ... or from a preset
  --set a.b.c=V    override one scenario field; repeat for more
  --json           print the run and the trace's figures as JSON
${DB_HELP}`,
  },
  bisect: {
    synopsis:
      'bisect <file | preset> --path FIELD --versions V1,V2,... --outcome METRIC[OP NUMBER] [--variant NAME] [--all] [--set ...] [--seed N] [--name TEXT] [--json] [--db PATH]',
    summary: 'name the first release of a version field whose outcome changes',
    help: `${BISECT_USAGE.trim()}

Example: pcilab bisect s390-rpcit-exhaustion --path host.qemu.version --versions 7.0,7.1,7.2,8.0 \\
           --outcome 's390.shadow.retryPasses>0' --variant retry
prints "first change: 7.2 (0 -> 1)" and the steps with their run ids.
${DB_HELP}

Exit status: 0 a first change was named (or none: the outcome never changed), 2 invalid input (one
line per problem), 1 a step's run failed or lacked the metric (the bisect stopped).`,
  },
  explain: {
    synopsis: 'explain "<log line>" [--json]',
    summary: 'the mechanism, limit, knobs and reproducing preset of a kernel or QEMU message',
    help: `Matches a kernel or QEMU message pasted from a bug report (core/run/logExplain.ts: the type1
RLIMIT_MEMLOCK warning, QEMU's vfio_container_dma_map error, "memory listener initialization
failed", virtio-mem's DMA-mapping warning, VFIO_MAP_DMA errors, intel-iommu's address-width
message) to the mechanism behind it, the limit it hit, the knobs that move it and the field-report
preset that reproduces it, with a pcilab run line carrying the numbers the message holds.

  --json           print {"line", "matches": [...]}

Exit status: 0 the line matched, 2 nothing matched.`,
  },
  experiment: {
    synopsis: 'experiment create|list|submit|collect|compare|task ... (pcilab experiment --help)',
    summary: 'experiments: create, sweep on a Slurm cluster (--slurm) or local workers (--local N), collect, compare',
    help: EXPERIMENT_HELP,
  },
  presets: {
    synopsis: 'presets [--json]',
    summary: 'list the shipped presets',
    help: `Lists the shipped presets: id, title, the thread it reproduces and its number of claims.

  --json           print the list as JSON`,
  },
  schema: {
    synopsis: 'schema',
    summary: 'print the scenario JSON Schema',
    help: 'Prints the JSON Schema of scenario files: every field with its default and what it models.',
  },
  completion: {
    synopsis: 'completion bash',
    summary: 'print a bash completion script (source <(pcilab completion bash))',
    help: `Prints a bash completion script for pcilab: commands, options, presets and files.
Load it with: source <(pcilab completion bash)`,
  },
};

export const USAGE = [
  'usage: pcilab <command> [options]',
  '',
  'commands:',
  ...Object.values(COMMANDS).flatMap((c) => [`  ${c.synopsis}`, `      ${c.summary}`]),
  '',
  '`pcilab help <command>` or `pcilab <command> --help` explains a command; `pcilab --version` prints the version.',
  "database: --db PATH, else $PCILAB_DB, else the user's data directory",
].join('\n');

export function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `usage: pcilab ${c.synopsis}\n\n${c.help}`;
}
