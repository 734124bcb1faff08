import { type ConfigError, parseConfig } from '../../src/config';

/** The configuration errors of an environment, as `VARIABLE: rule` lines; empty when it parses. */
export function configIssues(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).issues.map((i) => `${i.variable}: ${i.rule}`);
  }
}
