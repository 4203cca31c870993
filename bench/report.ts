/** Turns the runs of `npm run bench` into the Markdown report (printed, and saved as RESULTS.md). */
import type { LoadOutput } from './load.js';
import {
  REFERENCE,
  SCENARIOS,
  type ScenarioSpec,
  type ServerSpec,
  serversFor,
  TARGETS,
  withParams,
} from './registry.js';
import { median } from './stats.js';

export interface RunRecord {
  round: number;
  server: string;
  scenario: string;
  output?: LoadOutput;
  error?: string;
}

export interface Meta {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  date: string;
  command: string;
  rounds: number;
  quick: boolean;
  wallSeconds: number;
  clkTck: number;
  fdLimit: number;
}

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratioText(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a';
}

/** Median of one metric of one server in one scenario, over the successful runs. */
export function medianOf(
  records: readonly RunRecord[],
  scenario: string,
  server: string,
  metric: string,
): number {
  return median(
    records
      .filter((r) => r.scenario === scenario && r.server === server && r.output !== undefined)
      .map((r) => r.output!.metrics[metric] ?? Number.NaN),
  );
}

function paramsText(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function scenarioTable(
  spec: ScenarioSpec,
  servers: readonly ServerSpec[],
  records: readonly RunRecord[],
  quick: boolean,
): string[] {
  const params = quick ? spec.quick : spec.full;
  const lines = [`## ${spec.name}`, '', `${spec.description} (${paramsText(params)}).`, ''];
  const running = serversFor(spec, servers);
  const metrics = spec.metrics.filter((m) => m.key !== 'lost');
  lines.push(
    `| server | runs | ${metrics.map((m) => withParams(m.label, params)).join(' | ')} | lost / expected |`,
  );
  lines.push(`|---|---|${metrics.map(() => '---:|').join('')}---:|`);
  for (const server of running) {
    const mine = records.filter((r) => r.scenario === spec.name && r.server === server.name);
    const ok = mine.filter((r) => r.output !== undefined);
    const cells = metrics.map((m) => {
      const v = medianOf(records, spec.name, server.name, m.key);
      if (server.name === REFERENCE || !running.some((s) => s.name === REFERENCE)) return fmt(v, m.digits);
      const ref = medianOf(records, spec.name, REFERENCE, m.key);
      // No reference figure (no-sticky: socket.io cannot run through the proxy): no ratio.
      return Number.isFinite(ref) ? `${fmt(v, m.digits)} (${ratioText(v / ref)})` : fmt(v, m.digits);
    });
    const lost = ok.reduce((n, r) => n + r.output!.lost, 0);
    const expected = ok.reduce((n, r) => n + r.output!.expected, 0);
    lines.push(
      `| ${server.name} | ${ok.length}/${mine.length} | ${cells.join(' | ')} | ${fmt(lost, 0)} / ${fmt(expected, 0)} |`,
    );
  }
  const variants = running.filter((s) => spec.variants?.[s.name] !== undefined);
  if (variants.length > 0) {
    lines.push(
      '',
      'Servers in this scenario:',
      '',
      ...variants.map((s) => `- **${s.name}**: ${s.description}`),
    );
  }
  const absent = servers.filter((s) => !running.some((r) => r.name === s.name));
  if (absent.length > 0) {
    const why = (s: ServerSpec): string =>
      !s.transports.includes(spec.transport)
        ? `no ${spec.transport} transport`
        : s.scenarios !== undefined && !s.scenarios.includes(spec.name)
          ? `runs ${s.scenarios.join(', ')} only`
          : 'not one of its servers';
    lines.push('', `Not run on: ${absent.map((s) => `${s.name} (${why(s)})`).join(', ')}.`);
  }
  lines.push('');
  return lines;
}

function targetLines(
  records: readonly RunRecord[],
  scenarios: readonly ScenarioSpec[],
  quick: boolean,
): string[] {
  const lines = [
    '## Targets',
    '',
    'Medians of this run; ratio = the server held to the target / the other server, both measured in this run; targets without another server hold the median itself to the bound.',
    '',
    '| target | server | other | ratio | bound | result |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const t of TARGETS) {
    if (!scenarios.some((s) => s.name === t.scenario)) continue;
    const spec = SCENARIOS.find((s) => s.name === t.scenario)!;
    const digits = spec.metrics.find((m) => m.key === t.metric)?.digits ?? 2;
    const mine = medianOf(records, t.scenario, t.server, t.metric);
    const other = t.against === undefined ? 1 : medianOf(records, t.scenario, t.against, t.metric);
    const ratio = mine / other;
    const lost = records.some(
      (r) => r.scenario === t.scenario && r.server === t.server && (r.output?.lost ?? 0) > 0,
    );
    const result = !Number.isFinite(ratio)
      ? 'n/a'
      : lost
        ? 'MISS (lost messages)'
        : t.max === undefined
          ? 'reported'
          : ratio <= t.max
            ? 'PASS'
            : 'MISS';
    const absolute = t.against === undefined;
    const bound = t.max === undefined ? '—' : absolute ? `<= ${fmt(t.max, digits)}` : `<= ${t.max.toFixed(2)}x`;
    const againstCell = absolute ? '—' : `${t.against} ${fmt(other, digits)}`;
    const ratioCell = absolute ? '—' : ratioText(ratio);
    lines.push(
      `| ${withParams(t.text, quick ? spec.quick : spec.full)} | ${t.server} ${fmt(mine, digits)} | ${againstCell} | ${ratioCell} | ${bound} | ${result} |`,
    );
  }
  lines.push('');
  return lines;
}

export function renderReport(
  meta: Meta,
  scenarios: readonly ScenarioSpec[],
  servers: readonly ServerSpec[],
  records: readonly RunRecord[],
): string {
  const lines = [
    '# parley benchmark results',
    '',
    `- machine: ${meta.cpu}, ${meta.cores} cores, ${meta.memoryGiB.toFixed(1)} GiB; ${meta.os}`,
    `- node: ${meta.node}`,
    `- date: ${meta.date}`,
    `- command: \`${meta.command}\``,
    `- rounds: ${meta.rounds}${meta.quick ? ' (quick sizes)' : ''}, servers alternated each round; wall time ${meta.wallSeconds.toFixed(0)} s`,
    `- CPU = utime+stime of the serving process (/proc/<pid>/stat, CLK_TCK ${meta.clkTck}); RSS = VmRSS after a full GC; fd limit ${meta.fdLimit}`,
    '- each run: a fresh server process and a fresh load-generator process (raw Engine.IO/Socket.IO frames over node:net, or plain WebSocket JSON frames for parley-plain; raw HTTP/1.1 for polling), 127.0.0.1 only',
    '',
    'Servers:',
    '',
    ...servers.map((s) => `- **${s.name}**: ${s.description}`),
    '',
    `Cells are medians over the rounds; (0.50x) = ratio to ${REFERENCE} in this run. Throughput: higher is better; latency, CPU and memory: lower is better. lost = expected - received, summed over the rounds (must be 0).`,
    '',
  ];
  for (const spec of scenarios) {
    if (spec.pending === undefined) lines.push(...scenarioTable(spec, servers, records, meta.quick));
  }
  lines.push(...targetLines(records, scenarios, meta.quick));

  const totalLost = records.reduce((n, r) => n + (r.output?.lost ?? 0), 0);
  const failed = records.filter((r) => r.error !== undefined);
  lines.push('## Checks', '');
  lines.push(
    `- messages lost, all scenarios and servers: ${totalLost}${totalLost === 0 ? ' (none)' : ' (LOST)'}`,
  );
  lines.push(`- failed runs: ${failed.length}`);
  for (const r of failed) lines.push(`  - round ${r.round + 1} ${r.scenario} on ${r.server}: ${r.error}`);
  for (const spec of scenarios) {
    if (spec.pending !== undefined) lines.push(`- ${spec.name}: pending: ${spec.pending}`);
  }
  const noted = records.filter((r) => (r.output?.notes.length ?? 0) > 0);
  for (const r of noted) {
    lines.push(`- note, round ${r.round + 1} ${r.scenario} on ${r.server}: ${r.output!.notes.join('; ')}`);
  }
  lines.push('');

  lines.push('## Per-round values', '');
  for (const spec of scenarios) {
    if (spec.pending !== undefined) continue;
    const keys = spec.metrics.filter((m) => m.key !== 'lost');
    const params = meta.quick ? spec.quick : spec.full;
    lines.push(`- ${spec.name}:`);
    for (const r of records.filter((x) => x.scenario === spec.name)) {
      const text = r.output
        ? keys
            .map(
              (m) =>
                `${withParams(m.label, params)} ${fmt(r.output!.metrics[m.key] ?? Number.NaN, m.digits)}`,
            )
            .join(', ')
        : `failed: ${r.error}`;
      lines.push(`  - round ${r.round + 1}, ${r.server}: ${text}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
