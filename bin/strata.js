#!/usr/bin/env node
// Entry point: registers the TypeScript loader, then runs the CLI. Worker threads register it the same way.
import { register } from 'tsx/esm/api';
register();
await import('../node/cli.ts');
