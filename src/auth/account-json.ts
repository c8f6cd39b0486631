/** Users, tokens and quotas as the admin API and the CLI print them (snake_case, as DNSDB's fields). */
import type { Quota, TokenInfo, User } from "./accounts.js";
import { type EffectiveQuota, effectiveQuota } from "./quota.js";

/** A quota as the API shows it (snake_case; an absent field means the server default). */
export function quotaJson(quota: Quota) {
  return {
    ...(quota.daily === undefined ? {} : { daily: quota.daily }),
    ...(quota.burstSize === undefined ? {} : { burst_size: quota.burstSize }),
    ...(quota.burstWindow === undefined ? {} : { burst_window: quota.burstWindow }),
    ...(quota.resultsMax === undefined ? {} : { results_max: quota.resultsMax }),
  };
}

export function limitsJson(limits: EffectiveQuota) {
  return {
    daily: limits.daily,
    burst_size: limits.burstSize,
    burst_window: limits.burstWindow,
    results_max: limits.resultsMax,
  };
}

export function userJson(user: User, defaults: EffectiveQuota) {
  return {
    name: user.name,
    role: user.role,
    disabled: user.disabled,
    created_at: user.createdAt,
    quota: quotaJson(user.quota),
    limits: limitsJson(effectiveQuota(user.quota, defaults)),
  };
}

export function tokenJson(token: TokenInfo) {
  return {
    id: token.id,
    label: token.label,
    created_at: token.createdAt,
    expires_at: token.expiresAt ?? null,
    last_used_at: token.lastUsedAt ?? null,
  };
}
