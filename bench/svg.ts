/** A latency CDF chart as a hand-written SVG (no chart library): one line per series, log-free linear axes. */
import { cdf } from './stats';

export interface Series {
  name: string;
  samples: readonly number[];
  color: string;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** CDF of latencies in ms; the x axis ends at the largest p99 of the series (tails beyond are clipped and noted). */
export function latencyCdfSvg(title: string, series: readonly Series[], opts: { width?: number; height?: number; markers?: { x: number; label: string }[] } = {}): string {
  const W = opts.width ?? 760;
  const H = opts.height ?? 420;
  const m = { l: 64, r: 24, t: 44, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const p99s = series.map((s) => {
    const sorted = [...s.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
  });
  const xMax = niceMax(Math.max(1, ...p99s, ...(opts.markers ?? []).map((k) => k.x)) * 1.1);
  const X = (v: number): number => m.l + (Math.min(v, xMax) / xMax) * pw;
  const Y = (p: number): number => m.t + (1 - p) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Grid and axes.
  for (let i = 0; i <= 10; i++) {
    const x = m.l + (i / 10) * pw;
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 18}" text-anchor="middle">${Math.round((i / 10) * xMax)}</text>`);
  }
  for (const p of [0, 0.25, 0.5, 0.75, 0.95, 0.99, 1]) {
    const y = Y(p);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="${p === 0.5 || p === 0.95 || p === 0.99 ? '#ccc' : '#eee'}"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y + 4}" text-anchor="end">${p === 0.95 || p === 0.99 ? `p${Math.round(p * 100)}` : `${Math.round(p * 100)}%`}</text>`);
  }
  parts.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">milliseconds (CA issued → certificate retrieved)</text>`);
  parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">share of orders</text>`);
  for (const k of opts.markers ?? []) {
    parts.push(`<line x1="${X(k.x)}" y1="${m.t}" x2="${X(k.x)}" y2="${m.t + ph}" stroke="#c00" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${X(k.x) - 4}" y="${m.t + 14}" text-anchor="end" fill="#c00">${esc(k.label)}</text>`);
  }
  // Series.
  series.forEach((s, i) => {
    const pts = cdf(s.samples, 400);
    if (pts.length === 0) return;
    const d = [`M${X(pts[0]!.x).toFixed(1)},${Y(0).toFixed(1)}`, ...pts.map((p) => `L${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`)].join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const clipped = s.samples.filter((v) => v > xMax).length;
    parts.push(`<rect x="${m.l + pw - 300}" y="${m.t + ph - 22 - i * 18}" width="12" height="4" fill="${s.color}"/>`);
    parts.push(`<text x="${m.l + pw - 282}" y="${m.t + ph - 17 - i * 18}">${esc(`${s.name} (n=${s.samples.length}${clipped ? `, ${clipped} beyond axis` : ''})`)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
