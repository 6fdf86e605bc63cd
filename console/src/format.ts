/** How numbers, money and times read in the console. */

/** Money is integer micro-units of the operator's currency (1 unit = 1,000,000). */
export function money(micro: number | null | undefined): string {
  if (micro === null || micro === undefined) return '—';
  const units = micro / 1_000_000;
  return units.toLocaleString(undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: Math.abs(units) < 1 && units !== 0 ? 4 : 2,
  });
}

/**
 * Units typed by a person → micro-units, exactly (no float rounding); null when it is not a number with at
 * most 6 decimals, the smallest amount there is.
 */
export function toMicro(units: string): number | null {
  const match = /^(-?)(\d*)(?:\.(\d{1,6}))?$/.exec(units.trim());
  if (!match || (match[2] === '' && match[3] === undefined)) return null;
  const micro = Number(match[2] || '0') * 1_000_000 + Number((match[3] ?? '').padEnd(6, '0'));
  return Number.isSafeInteger(micro) ? (match[1] ? -micro : micro) : null;
}

/** Micro-units as currency units with all 6 decimals ("0.100000"): prices, and the forms that edit them. */
export function units(micro: number): string {
  const abs = Math.abs(micro);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000).padStart(6, '0');
  return `${micro < 0 ? '-' : ''}${whole}.${fraction}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "5 s ago", "3 min ago", … from unix seconds. */
export function age(unixSeconds: number, now = Date.now()): string {
  const s = Math.max(0, Math.floor(now / 1000 - unixSeconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function dateTime(unixSeconds: number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return '—';
  return new Date(unixSeconds * 1000).toLocaleString();
}

export const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** A long id, shortened for a table cell (the full id is in its title and the detail view). */
export const shortId = (id: string) => (id.length > 14 ? `${id.slice(0, 9)}…${id.slice(-4)}` : id);
