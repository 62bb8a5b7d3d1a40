import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';

export type CouponStatus = 'active' | 'redeemed' | 'expired' | 'revoked';

export interface Coupon {
  id: string;
  code: string;
  status: CouponStatus;
  valid: boolean;
  client_id: string | null;
  client_name: string | null;
  batch_id: string;
  discount_type: 'percentage' | 'fixed';
  discount_value: number;
  currency: string | null;
  value: string;
  expires_at: string;
  usage_limit: number;
  uses: number;
  uses_left: number;
  reason: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface CouponBatch {
  id: string;
  prefix: string | null;
  value: string;
  expires_at: string;
  usage_limit: number;
  reason: string | null;
  campaign_id: string | null;
  created_by: string;
  created_at: string;
  issued: number;
  redeemed: number;
  revoked: number;
  redemptions: number;
  redemption_rate: number;
  revenue: number;
}

export interface CouponFilters {
  status?: CouponStatus;
  batch_id?: string;
  client_id?: string;
  q?: string;
}

export function useCoupons(filters: CouponFilters) {
  return useQuery({
    queryKey: ['coupons', 'list', filters],
    queryFn: ({ signal }) =>
      request<{ coupons: Coupon[]; next_cursor: string | null }>('/api/v1/coupons', {
        query: { ...filters, limit: 100 },
        signal,
      }),
    select: (data) => data.coupons,
  });
}

export function useCouponBatches() {
  return useQuery({
    queryKey: ['coupons', 'batches'],
    queryFn: ({ signal }) => request<{ batches: CouponBatch[] }>('/api/v1/coupons/batches', { signal }),
    select: (data) => data.batches,
  });
}

export function useRevokeCoupon() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (code: string) =>
      request<Coupon>(`/api/v1/coupons/${encodeURIComponent(code)}/revoke`, { method: 'POST', body: {} }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['coupons'] }),
  });
}

export function useRevokeBatch() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<{ revoked: number }>(`/api/v1/coupons/batches/${id}/revoke`, { method: 'POST', body: {} }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['coupons'] }),
  });
}
