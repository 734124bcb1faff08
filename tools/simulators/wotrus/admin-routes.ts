/**
 * The admin API under `/__admin`, with its own bearer token: counters, order inspection and
 * driving, e-mails, pushes, fault injection and settings. Plain JSON (no WoTrus envelope).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { getProduct, SIM_PRODUCTS } from './catalog';
import type { Counters } from './counters';
import { type FaultInjector, faultsSchema } from './faults';
import { caStatusSchema, type SimOrder } from './model';
import type { Pki } from './pki';
import type { PushSender } from './pushes';
import { type Settings, type SettingsPatch, settingsPatchSchema } from './settings';
import { DRIVE_ACTIONS, type OrderEngine } from './state-machine';
import type { OrderStore } from './store';
import { pendingLink } from './views';

export const ADMIN_PREFIX = '/__admin';

export interface AdminRouteDeps {
  adminToken: string;
  store: OrderStore;
  engine: OrderEngine;
  counters: Counters;
  faults: FaultInjector;
  pushes: PushSender;
  pki: Pki;
  settings: () => Settings;
  updateSettings: (patch: SettingsPatch) => Settings;
  baseUrl: () => string;
}

/** Without PEMs and CSRs: lists of thousands of orders stay small. */
export function orderSummary(o: SimOrder): Record<string, unknown> {
  const { csrPem: _csr, csrEncryptPem: _enc, cert, uKeyPassword: _pw, ...rest } = o;
  return { ...rest, cert: cert ? { serialNumber: cert.serialNumber, notBefore: cert.notBefore, notAfter: cert.notAfter, encryptSerialNumber: cert.encryptSerialNumber } : undefined };
}

const ordersQuery = z.object({
  status: caStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});
const driveBody = z.object({ reason: z.string().max(500).optional() }).strict().nullish();
const forceBody = z.object({ status: caStatusSchema }).strict();
const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional() });

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  return reply.code(400).send({ error: 'invalid request', issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}

export async function registerAdminRoutes(app: FastifyInstance, d: AdminRouteDeps): Promise<void> {
  const expected = createHash('sha256').update(`Bearer ${d.adminToken}`).digest();

  await app.register(
    async (admin) => {
      // Bodiless POST/DELETE with a JSON content type is fine here (Fastify's default parser refuses it).
      admin.removeContentTypeParser('application/json');
      admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const text = typeof body === 'string' ? body : body.toString('utf8');
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch {
          done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
        }
      });

      admin.addHook('onRequest', async (req, reply) => {
        const got = createHash('sha256').update(req.headers.authorization ?? '').digest();
        if (!timingSafeEqual(got, expected)) return reply.code(401).send({ error: 'unauthorized: Authorization: Bearer <admin token> required' });
      });

      admin.get('/counters', async () => d.counters.view());
      admin.post('/counters/reset', async () => {
        d.counters.reset();
        return d.counters.view();
      });

      admin.get('/orders', async (req, reply) => {
        const q = ordersQuery.safeParse(req.query);
        if (!q.success) return badRequest(reply, q.error);
        const list = d.store.list(q.data.status);
        const limited = q.data.limit ? list.slice(0, q.data.limit) : list;
        return { total: list.length, orders: limited.map(orderSummary) };
      });

      admin.get<{ Params: { id: string } }>('/orders/:id', async (req, reply) => {
        const o = d.store.get(req.params.id);
        if (!o) return reply.code(404).send({ error: `order not found: ${req.params.id}` });
        const p = getProduct(o.productId);
        return { ...o, pendingLink: pendingLink(d.baseUrl(), o.id), product: { id: p.id, name: p.name, kind: p.kind, brand: p.brand } };
      });

      admin.post<{ Params: { id: string } }>('/orders/:id/status', async (req, reply) => {
        const b = forceBody.safeParse(req.body);
        if (!b.success) return badRequest(reply, b.error);
        const o = d.store.get(req.params.id);
        if (!o) return reply.code(404).send({ error: `order not found: ${req.params.id}` });
        d.engine.force(o, b.data.status);
        return orderSummary(o);
      });

      admin.post<{ Params: { id: string; action: string } }>('/orders/:id/:action', async (req, reply) => {
        const action = z.enum(DRIVE_ACTIONS).safeParse(req.params.action);
        if (!action.success) return reply.code(404).send({ error: `unknown action ${req.params.action}; one of ${DRIVE_ACTIONS.join(', ')}` });
        const b = driveBody.safeParse(req.body);
        if (!b.success) return badRequest(reply, b.error);
        const r = await d.engine.drive(req.params.id, action.data, 'admin', b.data?.reason);
        if (!r.ok) return reply.code(r.status).send({ error: r.error });
        return orderSummary(r.order);
      });

      admin.get('/emails', async () => ({ emails: d.store.emails() }));

      admin.get('/pushes', async (req, reply) => {
        const q = limitQuery.safeParse(req.query);
        if (!q.success) return badRequest(reply, q.error);
        return { pushes: d.pushes.recent(q.data.limit ?? 100) };
      });

      admin.get('/faults', async () => d.faults.view());
      admin.put('/faults', async (req, reply) => {
        const f = faultsSchema.safeParse(req.body ?? {});
        if (!f.success) return badRequest(reply, f.error);
        d.faults.set(f.data);
        return d.faults.view();
      });
      admin.delete('/faults', async () => {
        d.faults.clear();
        return d.faults.view();
      });

      admin.get('/settings', async () => d.settings());
      admin.put('/settings', async (req, reply) => {
        const p = settingsPatchSchema.safeParse(req.body ?? {});
        if (!p.success) return badRequest(reply, p.error);
        return d.updateSettings(p.data);
      });

      admin.get('/products', async () => ({ products: SIM_PRODUCTS }));
      admin.get('/ca', async () => ({
        rsa: { root: d.pki.rsa.chainPems()[0], intermediate: d.pki.rsa.chainPems()[1] },
        sm2: { root: d.pki.sm2.chainPems()[0], intermediate: d.pki.sm2.chainPems()[1] },
      }));
      admin.get('/health', async () => ({ ok: true, orders: d.store.size, scheduled: d.engine.scheduledCount }));
    },
    { prefix: ADMIN_PREFIX },
  );
}
