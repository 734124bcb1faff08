/**
 * The admin HTTP API under `/admin`, bearer `adminToken`: a thin translation of control.ts
 * (the same operations the in-process `admin` object offers) into routes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type AcmapiAdmin, AcmapiAdminError, ADMIN_PREFIX } from './admin-client';
import { APPLICATION_STATES } from './applications';
import type { Faults } from './faults';
import type { SettingsPatch } from './settings';

const applicationsQuery = z.object({ domain: z.string().min(1).optional(), state: z.enum(APPLICATION_STATES).optional() });

async function answer(reply: FastifyReply, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof AcmapiAdminError)) throw err;
    return reply.code(err.status).type('application/json; charset=utf-8').send(err.body);
  }
}

export async function registerAdminRoutes(app: FastifyInstance, o: { adminToken: string; control: AcmapiAdmin }): Promise<void> {
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

      admin.get('/counters', (_req, reply) => answer(reply, () => c.counters()));
      admin.get('/certificates', (_req, reply) => answer(reply, async () => ({ certificates: await c.certificates() })));
      admin.get('/applications', (req, reply) =>
        answer(reply, async () => {
          const q = applicationsQuery.safeParse(req.query);
          if (!q.success) throw new AcmapiAdminError(400, JSON.stringify({ error: 'invalid query', issues: q.error.issues.map((i) => i.message) }), 'applications');
          return { applications: await c.applications(q.data) };
        }),
      );
      admin.get<{ Params: { handleId: string } }>('/applications/:handleId', (req, reply) => answer(reply, () => c.application(req.params.handleId)));
      admin.post<{ Params: { handleId: string } }>('/applications/:handleId/issue', (req, reply) => answer(reply, () => c.issue(req.params.handleId)));
      admin.get('/settings', (_req, reply) => answer(reply, () => c.settings()));
      admin.put('/settings', (req, reply) => answer(reply, () => c.updateSettings(req.body as SettingsPatch)));
      admin.get('/faults', (_req, reply) => answer(reply, () => c.faults()));
      admin.put('/faults', (req, reply) => answer(reply, () => c.setFaults(req.body as Faults)));
      admin.delete('/faults', (_req, reply) => answer(reply, () => c.clearFaults()));
      admin.post('/reset', (_req, reply) => answer(reply, () => c.reset()));
      admin.get('/ca', (_req, reply) => answer(reply, () => c.ca()));
    },
    { prefix: ADMIN_PREFIX },
  );
}
