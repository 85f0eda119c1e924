import type { ResultRow } from '../results.js';
import { firstStepCpu } from './targets-check.js';

const COLORS: Record<string, string> = { 'ws-ceiling': '#7f8c8d', 'durable-floor': '#27ae60', 'socket.io': '#e67e22', chorus: '#2e86de' };

interface Panel {
  title: string;
  unit: string;
  bars: { label: string; value: number; color: string }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Hand-written SVG: one horizontal bar panel per headline figure. */
export function resultsSvg(rows: ResultRow[], subtitle: string): string {
  const panels: Panel[] = [];
  const panel = (title: string, unit: string, scenario: string, value: (r: ResultRow) => number | undefined) => {
    const bars = rows
      .filter((r) => r.scenario === scenario && !r.error)
      .map((r) => ({ label: r.target + (r.variant ? ` ${r.variant}` : ''), value: value(r), color: COLORS[r.target] ?? '#555' }))
      .filter((b): b is { label: string; value: number; color: string } => b.value !== undefined && Number.isFinite(b.value));
    if (bars.length > 0) panels.push({ title, unit, bars });
  };
  panel('Fan-out: max deliveries/s with p99 ≤ 100 ms (higher is better)', '/s', 'fanout', (r) => r.deliveriesPerSec);
  panel('Fan-out: server CPU ms per 1,000 deliveries at the same rate, first step (lower is better)', ' ms', 'fanout', (r) => firstStepCpu(r));
  panel('Fan-out: p99 latency at 50% load, ms (lower is better)', ' ms', 'fanout', (r) => r.p99Ms);
  panel('Many rooms: server CPU ms per 1,000 deliveries (lower is better)', ' ms', 'many-rooms', (r) => r.cpuMsPer1kDeliveries);
  panel('Idle: RSS KB per connection (lower is better)', ' KB', 'idle', (r) => r.rssKbPerConn);
  panel('Connect storm: connections/s (higher is better)', '/s', 'connect-storm', (r) => r.extra?.connectionsPerSec as number | undefined);
  panel('Two replicas: max deliveries/s with p99 ≤ 100 ms (higher is better)', '/s', 'two-replicas', (r) => r.deliveriesPerSec);

  const width = 760;
  const labelWidth = 170;
  const barMax = width - labelWidth - 110;
  const out: string[] = [];
  let y = 66;
  for (const p of panels) {
    out.push(`<text x="10" y="${y}" font-weight="bold">${esc(p.title)}</text>`);
    y += 10;
    const max = Math.max(...p.bars.map((b) => b.value), 1e-9);
    for (const b of p.bars) {
      const w = Math.max(1, (b.value / max) * barMax);
      out.push(`<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="16" fill="${b.color}"/>`);
      const shown = b.value >= 100 ? Math.round(b.value).toLocaleString('en-US') : b.value.toFixed(2);
      out.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 14}">${esc(shown + p.unit)}</text>`);
      y += 22;
    }
    y += 20;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Chorus vs Socket.IO vs ws ceiling</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`,
    ...out,
    '</svg>',
  ].join('\n');
}
