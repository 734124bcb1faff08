/**
 * The admin HTTP API under `/admin`, bearer `adminToken`, on the admin listener: a thin
 * translation of control.ts (the same operations the in-process `admin` object offers).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ADMIN_PREFIX, type IssueClientOptions, type WosignDocAdmin, WosignDocAdminError } from './admin-client';
import type { Faults } from './faults';
import type { SignState } from './orders';
import type { SettingsPatch } from './settings';
import type { TokenPatch } from './tokens';

async function answer(reply: FastifyReply, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof WosignDocAdminError)) throw err;
    return reply.code(err.status).type('application/json; charset=utf-8').send(err.body);
  }
}

export async function registerAdminRoutes(app: FastifyInstance, o: { adminToken: string; control: WosignDocAdmin }): Promise<void> {
  const expected = createHash('sha256').update(`Bearer ${o.adminToken}`).digest();
  const c = o.control;

  await app.register(
    async (admin) => {
      // A bodiless POST or DELETE may still say application/json.
      admin.removeContentTypeParser('application/json');
      admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const text = (typeof body === 'string' ? body : body.toString('utf8')).trim();
        try {
          done(null, text === '' ? undefined : JSON.parse(text));
        } catch {
          done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
        }
      });
      admin.addHook('onRequest', async (req, reply) => {
        const got = createHash('sha256').update(req.headers.authorization ?? '').digest();
        if (!timingSafeEqual(got, expected)) return reply.code(401).send({ error: 'unauthorized: Authorization: Bearer <admin token> required' });
      });

      type ByOrder = { Params: { orderNumber: string } };
      type ByToken = { Params: { tokenid: string } };
      type ByCert = { Params: { fingerprint: string } };
      admin.get('/counters', (_req, reply) => answer(reply, () => c.counters()));
      admin.get<{ Querystring: { state?: string } }>('/orders', (req, reply) => answer(reply, async () => ({ orders: await c.orders(req.query.state ? { state: req.query.state as SignState } : {}) })));
      admin.get<ByOrder>('/orders/:orderNumber', (req, reply) => answer(reply, () => c.order(req.params.orderNumber)));
      admin.post<ByOrder>('/orders/:orderNumber/push', (req, reply) => answer(reply, () => c.repush(req.params.orderNumber)));
      admin.get('/settings', (_req, reply) => answer(reply, () => c.settings()));
      admin.put('/settings', (req, reply) => answer(reply, () => c.updateSettings((req.body ?? {}) as SettingsPatch)));
      admin.get('/faults', (_req, reply) => answer(reply, () => c.faults()));
      admin.put('/faults', (req, reply) => answer(reply, () => c.setFaults(req.body as Faults)));
      admin.delete('/faults', (_req, reply) => answer(reply, () => c.clearFaults()));
      admin.get('/tokens', (_req, reply) => answer(reply, async () => ({ tokens: await c.tokens() })));
      admin.put<ByToken>('/tokens/:tokenid', (req, reply) => answer(reply, () => c.updateToken(req.params.tokenid, (req.body ?? {}) as TokenPatch)));
      admin.get('/certificates', (_req, reply) => answer(reply, async () => ({ certificates: await c.certificates() })));
      admin.post('/certificates', (req, reply) => answer(reply, () => c.issueClientCertificate((req.body ?? {}) as IssueClientOptions)));
      admin.post<ByCert>('/certificates/:fingerprint/revoke', (req, reply) => answer(reply, () => c.revokeClientCertificate(req.params.fingerprint)));
      admin.post<ByCert>('/certificates/:fingerprint/authorize', (req, reply) => answer(reply, () => c.authorizeClientCertificate(req.params.fingerprint)));
      admin.post('/reset', (_req, reply) => answer(reply, () => c.reset()));
      admin.get('/ca', (_req, reply) => answer(reply, () => c.ca()));
    },
    { prefix: ADMIN_PREFIX },
  );
}
