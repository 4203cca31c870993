/**
 * What the client's code loads: from src/client/index.ts, the static imports reach only the client
 * and the two codec entry points (src/engine/codec.ts, src/socket/codec.ts), never a `node:` module,
 * a package or the server. The one Node-only name left on that path is `Buffer`, which the shared
 * codecs use for binary (a browser bundle provides it with the `buffer` package); `ws` is loaded by
 * a dynamic import only when no global WebSocket exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;
const NODE_GLOBALS = ['process', 'require', '__dirname', '__filename', 'setImmediate', 'Buffer'];

/** Every file the static imports of `entry` reach, with the specifiers each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [resolve(ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(STATIC_IMPORT)].map((m) => (m[1] ?? m[2])!);
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return graph;
}

/** Node-only names a file uses as identifiers, comments and strings left out. */
function nodeGlobalsIn(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
  return NODE_GLOBALS.filter((name) => new RegExp(`(?<![.\\w$])${name}\\b(?!\\s*:)`).test(code));
}

describe('the client loads nothing of Node or of the server', () => {
  const graph = importGraph('src/client/index.ts');
  const files = [...graph.keys()].map((f) => relative(ROOT, f)).sort();

  test('its static imports stay within the client and the codec entry points', () => {
    for (const file of files) {
      assert.ok(
        file.startsWith('src/client/') ||
          ['src/engine/codec.ts', 'src/engine/packet.ts', 'src/socket/codec.ts'].includes(file) ||
          /^src\/socket\/(packet|binary|encode-error|typed-events)\.ts$/.test(file),
        `${file} is loaded by the client`,
      );
    }
    assert.ok(files.includes('src/client/transports.ts') && files.includes('src/engine/packet.ts'), files.join());
  });

  test('no node: module and no package is imported statically', () => {
    for (const [file, specifiers] of graph) {
      for (const specifier of specifiers) {
        assert.ok(specifier.startsWith('.'), `${relative(ROOT, file)} imports ${specifier}`);
      }
    }
  });

  test('the only Node-only name on the path is Buffer', () => {
    const used = new Set(files.flatMap((file) => nodeGlobalsIn(resolve(ROOT, file))));
    assert.deepEqual([...used], used.size === 0 ? [] : ['Buffer']);
  });
});
