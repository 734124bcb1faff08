/**
 * API users by `tokenid` ("该参数用来识别不同的 API 用户"): enabled or disabled (-67), and the
 * account's balance (-68 below the price of a signing; null: unlimited).
 */
import { z } from 'zod';

export const tokenSpecSchema = z
  .object({
    tokenid: z.string().min(1),
    /** Default true. */
    enabled: z.boolean().optional(),
    /** Default null: unlimited. */
    balance: z.number().min(0).nullable().optional(),
  })
  .strict();
export type TokenSpec = z.infer<typeof tokenSpecSchema>;

export const tokenPatchSchema = z.object({ enabled: z.boolean().optional(), balance: z.number().min(0).nullable().optional() }).strict();
export type TokenPatch = z.infer<typeof tokenPatchSchema>;

export interface TokenView {
  tokenid: string;
  enabled: boolean;
  /** null: unlimited. */
  balance: number | null;
  /** Creates accepted (and charged) for this token since start or reset. */
  orders: number;
}

export class TokenStore {
  private readonly tokens = new Map<string, TokenView>();

  constructor(private readonly initial: readonly TokenSpec[]) {
    this.reset();
  }

  get(tokenid: string): TokenView | undefined {
    return this.tokens.get(tokenid);
  }

  list(): TokenView[] {
    return [...this.tokens.values()].map((t) => ({ ...t }));
  }

  /** Creates the token when it is new (enabled, unlimited unless the patch says otherwise). */
  update(tokenid: string, patch: TokenPatch): TokenView {
    const t = this.tokens.get(tokenid) ?? { tokenid, enabled: true, balance: null, orders: 0 };
    if (patch.enabled !== undefined) t.enabled = patch.enabled;
    if (patch.balance !== undefined) t.balance = patch.balance;
    this.tokens.set(tokenid, t);
    return { ...t };
  }

  /** True when charged; false when the balance is below the price (-68). */
  charge(t: TokenView, price: number): boolean {
    if (t.balance !== null) {
      if (t.balance < price) return false;
      t.balance -= price;
    }
    t.orders++;
    return true;
  }

  reset(): void {
    this.tokens.clear();
    for (const s of this.initial) this.tokens.set(s.tokenid, { tokenid: s.tokenid, enabled: s.enabled ?? true, balance: s.balance ?? null, orders: 0 });
  }
}
