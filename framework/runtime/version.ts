/** The framework's name and version, from package.json (recorded in every model manifest). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

let cached: { name: string; version: string } | undefined;

export function frameworkInfo(): { name: string; version: string } {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    cached = { name: pkg.name, version: pkg.version };
  }
  return cached;
}
