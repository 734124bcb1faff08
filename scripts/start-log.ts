/**
 * `npm start` shows its processes' logs pretty (pino-pretty, in this supervisor only): the
 * processes themselves keep writing JSON, the default everywhere else, so what runs in
 * production is what runs here. `START_LOG_FORMAT=json npm start` shows the JSON lines as is.
 */
import { prettyFactory } from 'pino-pretty';

export type LineFormatter = (line: string) => string;

export function startLogFormatter(env: Record<string, string | undefined>, colorize: boolean): LineFormatter {
  if (env.START_LOG_FORMAT === 'json') return (line) => line;
  const pretty = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', singleLine: true });
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      const record: unknown = JSON.parse(line);
      return typeof record === 'object' && record !== null && 'level' in record ? pretty(record).trimEnd() : line;
    } catch {
      return line;
    }
  };
}
