export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadSummary {
  durationS: number;
  /** Mean of the per-second request counts (autocannon's "Req/Sec Avg"). */
  reqPerSecAvg: number;
  reqPerSecStddev: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: {
    average: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
    max: number;
  };
  bytesPerSecAvg: number;
}
