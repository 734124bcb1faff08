import { startLogFormatter } from '../../scripts/start-log';

const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 11, 5, 12, 0, 0), pid: 7, hostname: 'h', name: 'worker', msg: 'CA call failed', caOrderId: 'CA-1' });

describe("npm start's log lines", () => {
  test('pretty by default: level and message first, the fields after, no pid or host', () => {
    const out = startLogFormatter({}, false)(line);
    expect(out).toMatch(/^\[\d{2}:\d{2}:\d{2}\.000\] WARN: CA call failed \{"caOrderId":"CA-1"\}$/);
  });

  test('as is when asked for JSON, and for anything that is not a pino record', () => {
    expect(startLogFormatter({ START_LOG_FORMAT: 'json' }, false)(line)).toBe(line);
    const pretty = startLogFormatter({}, false);
    expect(pretty('Stopping server...')).toBe('Stopping server...');
    expect(pretty('{"not":"pino"}')).toBe('{"not":"pino"}');
    expect(pretty('{broken')).toBe('{broken');
  });
});
