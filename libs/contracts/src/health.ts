export interface ServiceHealth {
  service: string;
  status: 'up' | 'degraded';
  instanceId: string;
  uptimeSeconds: number;
  checks: Record<string, 'up' | 'down'>;
}
