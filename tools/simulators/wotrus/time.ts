/** WoTrus runs on China Standard Time and says so in every timestamp it answers. */
const CST_OFFSET_MS = 8 * 3_600_000;

function cstParts(ms: number): { y: string; mo: string; d: string; h: string; mi: string; s: string; ms: string } {
  const t = new Date(ms + CST_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return {
    y: String(t.getUTCFullYear()),
    mo: p(t.getUTCMonth() + 1),
    d: p(t.getUTCDate()),
    h: p(t.getUTCHours()),
    mi: p(t.getUTCMinutes()),
    s: p(t.getUTCSeconds()),
    ms: p(t.getUTCMilliseconds(), 3),
  };
}

/** `2020-03-31T14:27:42.286+08:00`, the query example's spelling. */
export function toCstIso(ms: number): string {
  const c = cstParts(ms);
  return `${c.y}-${c.mo}-${c.d}T${c.h}:${c.mi}:${c.s}.${c.ms}+08:00`;
}

/**
 * `200331142742552`: yyMMddHHmmss + milliseconds, the example's orderNumber shape. Kept strictly
 * increasing so that orders created in the same millisecond still get distinct numbers.
 */
export function nextOrderNumber(ms: number, last: string): string {
  const c = cstParts(ms);
  const candidate = `${c.y.slice(2)}${c.mo}${c.d}${c.h}${c.mi}${c.s}${c.ms}`;
  if (last && BigInt(candidate) <= BigInt(last)) return (BigInt(last) + 1n).toString();
  return candidate;
}
