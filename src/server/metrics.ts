/**
 * Prometheus text exposition (format 0.0.4) for request counts and latency histograms, plus
 * gauges computed at scrape time (registry sizes, jobs by status).
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export interface Gauge {
  name: string;
  help: string;
  values: Array<{ labels?: Record<string, string>; value: number }>;
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();

  /** Records one answered request; `route` is the route pattern, not the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = JSON.stringify([method, route, String(status)]);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hkey = JSON.stringify([method, route]);
    let h = this.latency.get(hkey);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(hkey, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  render(gauges: Gauge[] = []): string {
    const out: string[] = [];
    out.push('# HELP partprint_http_requests_total HTTP requests answered, by method, route and status.');
    out.push('# TYPE partprint_http_requests_total counter');
    for (const [key, n] of [...this.requests].sort()) {
      const [method, route, status] = JSON.parse(key) as string[];
      out.push(`partprint_http_requests_total${labelText({ method, route, status })} ${n}`);
    }
    out.push('# HELP partprint_http_request_duration_seconds Time to answer HTTP requests, by method and route.');
    out.push('# TYPE partprint_http_request_duration_seconds histogram');
    for (const [key, h] of [...this.latency].sort()) {
      const [method, route] = JSON.parse(key) as string[];
      BUCKETS.forEach((le, i) => out.push(`partprint_http_request_duration_seconds_bucket${labelText({ method, route, le: String(le) })} ${h.counts[i]}`));
      out.push(`partprint_http_request_duration_seconds_bucket${labelText({ method, route, le: '+Inf' })} ${h.count}`);
      out.push(`partprint_http_request_duration_seconds_sum${labelText({ method, route })} ${h.sum}`);
      out.push(`partprint_http_request_duration_seconds_count${labelText({ method, route })} ${h.count}`);
    }
    for (const g of gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const v of g.values) out.push(`${g.name}${labelText(v.labels ?? {})} ${v.value}`);
    }
    return `${out.join('\n')}\n`;
  }
}
