import { useQuery } from '@tanstack/react-query';
import type { CampaignChannel, CampaignStatus } from './campaigns';
import { request } from './client';

export interface HomeFigures {
  weeks: number;
  time_zone: string;
  clients: {
    total: number;
    at_risk: number;
    /** at_risk and total come from the daily readings: null for weeks before the first one. */
    weekly: { week: string; new: number; active: number; at_risk: number | null; total: number | null }[];
  };
  messages: {
    weekly: {
      week: string;
      channels: {
        channel: CampaignChannel;
        sent: number;
        delivered: number;
        read: number;
        failed: number;
        delivery_rate: number | null;
        read_rate: number | null;
      }[];
    }[];
  };
  last_campaigns: {
    id: string;
    name: string;
    channel: CampaignChannel;
    status: CampaignStatus;
    audience_count: number | null;
    created_at: string;
    sent: number;
    delivered: number;
    opened: number;
  }[];
  segments_moved: {
    id: string;
    name: string;
    count_now: number;
    count_before: number;
    change: number;
    since: string;
    counted_at: string;
  }[];
}

export function useHomeFigures(weeks = 12) {
  return useQuery({
    queryKey: ['home', weeks],
    queryFn: ({ signal }) => request<HomeFigures>('/api/v1/home', { query: { weeks }, signal }),
    staleTime: 60_000,
  });
}
