/** The text report of `parley probe`: the verdict, the evidence, the connect code, the gateway. */
import { GATEWAY_LISTEN } from './snippets.js';
import type { CheckStatus, ConnectSnippet, ProbeReport } from './types.js';

const MARK: Readonly<Record<CheckStatus, string>> = {
  pass: 'ok  ',
  fail: 'FAIL',
  info: 'info',
  skipped: 'skip',
};

const LANGUAGE: Readonly<Record<ConnectSnippet['language'], string>> = {
  javascript: 'JavaScript',
  kotlin: 'Kotlin (Android)',
  swift: 'Swift (iOS, macOS)',
  python: 'Python',
};

/** Wraps `text` at `width` columns, each line starting with `indent`. */
function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function indent(code: string, by: string): string {
  return code
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

/** The report as a person reads it in a terminal. */
export function formatReport(report: ProbeReport, width = 100): string {
  const out: string[] = [`parley probe ${report.url}`, ''];
  out.push(...wrap(report.summary, width), '');
  out.push('Evidence:');
  for (const check of report.evidence) {
    out.push(`  ${MARK[check.status]}  ${check.request}`);
    out.push(
      ...wrap(
        `-> ${check.answer}${check.elapsedMs > 0 ? ` [${check.elapsedMs} ms]` : ''}`,
        width,
        '        ',
      ),
    );
  }
  if (report.snippets.length > 0) {
    out.push('', 'Connect with a Socket.IO client:');
    for (const snippet of report.snippets) {
      out.push('', `  ${LANGUAGE[snippet.language]}, ${snippet.library}:`, '', indent(snippet.code, '    '));
    }
  }
  if (report.gateway) {
    const path = report.verdict.kind === 'socketio' ? report.verdict.path : report.path;
    out.push(
      '',
      'Let plain WebSocket clients in, through a gateway that speaks Socket.IO to this server:',
      '',
      `    ${report.gateway}`,
      '',
      `  then connect them to ws://${GATEWAY_LISTEN}${path}`,
    );
  }
  if (report.expect) {
    out.push(
      '',
      `Expected ${report.expect}: ${report.exitCode === 0 ? 'yes' : report.exitCode === 2 ? 'unreachable' : 'no'} (exit ${report.exitCode}).`,
    );
  }
  return `${out.join('\n')}\n`;
}
