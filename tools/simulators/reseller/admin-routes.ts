/** The admin HTTP API under `/admin`, bearer admin token: a thin translation of control.ts. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ResellerAdmin, ResellerAdminError, RESELLER_ADMIN_PREFIX } from './admin-client';
import type { ResellerFaults } from './faults';
import type { CreateServiceInput } from './services';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

async function reply(res: FastifyReply, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ResellerAdminError) return res.code(err.status).type('application/json; charset=utf-8').send(err.body);
    throw err;
  }
}

export async function registerResellerAdminRoutes(app: FastifyInstance, o: { adminToken: string; admin: ResellerAdmin }): Promise<void> {
  const want = digest(`Bearer ${o.adminToken}`);
  const a = o.admin;
  await app.register(
    async (r) => {
      r.addHook('onRequest', async (req, res) => {
        if (!timingSafeEqual(digest(req.headers.authorization ?? ''), want)) return res.code(401).send({ error: 'unauthorized: Authorization: Bearer <admin token>' });
      });
      type Id = { Params: { id: string } };
      r.get('/counters', (_q, res) => reply(res, () => a.counters()));
      r.post('/services', (q, res) => reply(res, () => a.createService(q.body as CreateServiceInput)));
      r.get<Id>('/services/:id', (q, res) => reply(res, () => a.service(q.params.id)));
      r.post<Id & { Body: { domain?: string } }>('/services/:id/approve-email', (q, res) => reply(res, () => a.approveEmail(q.params.id, q.body?.domain ?? '')));
      r.get('/certificates', (_q, res) => reply(res, () => a.certificates()));
      r.get('/revoked', (_q, res) => reply(res, () => a.revoked()));
      r.get('/callbacks', (_q, res) => reply(res, () => a.callbacks()));
      r.get('/faults', (_q, res) => reply(res, () => a.faults()));
      r.put('/faults', (q, res) => reply(res, () => a.setFaults(q.body as ResellerFaults)));
      r.delete('/faults', (_q, res) => reply(res, () => a.clearFaults()));
      r.post('/reset', (_q, res) => reply(res, () => a.reset()));
      r.get('/ca', (_q, res) => reply(res, () => a.ca()));
    },
    { prefix: RESELLER_ADMIN_PREFIX },
  );
}
