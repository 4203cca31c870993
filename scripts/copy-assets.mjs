#!/usr/bin/env node
// Runs after tsc (npm run build): tsc compiles only TypeScript, but the chat page's files in
// src/chat/public are read at run time from beside the compiled src/chat/static.ts, so the
// compiled server in dist/ (the `parley` bin, the installed package) needs them in dist/chat/public.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/chat/public/', import.meta.url));
const to = fileURLToPath(new URL('../dist/chat/public/', import.meta.url));
// Cleared first so a file removed from src/chat/public is not still served from an old build.
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
