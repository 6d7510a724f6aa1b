/**
 * The serving primary validates the configuration once and hands the result to the workers it
 * forks, through their environment. Workers then skip reading YAML and validating again (part of
 * every cold start), and all of them run with exactly the configuration the primary checked, even
 * if a file changes while a replacement worker starts.
 */
import type { FrameworkConfig } from './config.js';

const HANDOFF_ENV = 'BYOC_VALIDATED_CONFIG';

/** In the primary, before forking: workers inherit process.env. */
export function handOffConfig(config: FrameworkConfig, env: NodeJS.ProcessEnv = process.env): void {
  env[HANDOFF_ENV] = JSON.stringify(config);
}

/** In a worker: the primary's configuration, or undefined when this process was not forked by one. */
export function inheritedConfig(env: NodeJS.ProcessEnv = process.env): FrameworkConfig | undefined {
  const raw = env[HANDOFF_ENV];
  return raw ? (JSON.parse(raw) as FrameworkConfig) : undefined;
}
