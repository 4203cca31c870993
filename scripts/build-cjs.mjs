#!/usr/bin/env node
// Runs in `npm run build`: Node 20 cannot require() an ES module, so CommonJS applications get
// their own build of the public entry: src/index.ts bundled by esbuild into dist/cjs/index.cjs
// (dependencies stay require()d from node_modules), with types that point at the ESM ones.
// It is a second copy of the code: a CJS and an ESM importer in one process get distinct classes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const outdir = `${root}dist/cjs/`;

await build({
  entryPoints: [`${root}scripts/cjs-entry.cjs`],
  outfile: `${outdir}index.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  // The sources read import.meta.url (to find socket.io-client's files); CommonJS has __filename.
  define: { 'import.meta.url': '__parleyModuleUrl' },
  banner: { js: "const __parleyModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

mkdirSync(outdir, { recursive: true });
writeFileSync(
  `${outdir}index.d.cts`,
  `// The CommonJS export: the ESM entry's exports, callable as socket.io's (\`require('parley')(srv, opts)\`).
import type * as parley from '../index.js' with { 'resolution-mode': 'import' };

declare const callable: typeof parley &
  (<
    ListenEvents extends parley.EventsMap = parley.DefaultEventsMap,
    EmitEvents extends parley.EventsMap = ListenEvents,
    ServerSideEvents extends parley.EventsMap = parley.DefaultEventsMap,
    SocketData = any,
  >(
    srv?: parley.HttpServerInstance | number | Partial<parley.ServerOptions>,
    opts?: Partial<parley.ServerOptions>,
  ) => parley.Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>);
export = callable;
`,
);
