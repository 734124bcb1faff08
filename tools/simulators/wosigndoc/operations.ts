/**
 * `CreateSignOrder` past the TLS layer, in the order the platform checks: the client
 * certificate is one it issued and still authorises (-80), the body is a JSON object (-63),
 * `tokenid` (-100 missing, -65 unknown, -67 disabled), `actiontype` (-100 missing, -64 other
 * than CreateSignOrder), `orderNumber` (-55), a repeat (-47 while signing, -46 once signed),
 * the fields (checks.ts), the balance (-68, nothing charged or stored). Then the order is
 * stored, charged and its signing scheduled: `{status:1, errorcode:0, signid, orderNumber}`.
 *
 * Synchronous from the repeat check to the store, so two concurrent creates of one
 * `orderNumber` can never both sign.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { checkCreate, text } from './checks';
import type { Counters } from './counters';
import { newPushes, type OrderStore, type SignOrder } from './orders';
import { ACTION_CREATE, type CreateAnswer, createAnswer, NOT_JSON, WOSIGNDOC_ERRORS as E } from './protocol';
import type { Settings } from './settings';
import type { Signer } from './signing';
import type { ClientCheck } from './tls';
import type { TokenStore } from './tokens';

export interface OperationsDeps {
  store: OrderStore;
  tokens: TokenStore;
  counters: Counters;
  signer: () => Signer;
  settings: () => Settings;
  log: Logger;
}

export class WosignDocOperations {
  constructor(private readonly d: OperationsDeps) {}

  private error(code: number, orderNumber: string, why: Record<string, unknown> = {}): CreateAnswer {
    this.d.counters.error(code);
    this.d.log.info({ errorcode: code, orderNumber: orderNumber || undefined, ...why }, 'wosigndoc simulator: create refused');
    return createAnswer(0, code, '', orderNumber, this.d.settings().answerOrderNumberField);
  }

  /** An answer forced by a fault, echoing the order number when there is one. */
  forced(code: number, body: unknown): CreateAnswer {
    const orderNumber = body && typeof body === 'object' ? (text((body as Record<string, unknown>).orderNumber) ?? '') : '';
    return this.error(code, orderNumber, { fault: 'errorCode' });
  }

  create(body: unknown, client: ClientCheck): CreateAnswer {
    if (client !== 'ok') return this.error(E.badCertificate, '', { client });
    if (body === NOT_JSON || !body || typeof body !== 'object' || Array.isArray(body)) return this.error(E.badJson, '');
    const req = body as Record<string, unknown>;
    const echo = text(req.orderNumber) ?? '';

    const tokenid = text(req.tokenid);
    if (tokenid === undefined) return this.error(E.badParameter, echo, { field: 'tokenid' });
    if (tokenid === '') return this.error(E.missingParameter, echo, { field: 'tokenid' });
    const token = this.d.tokens.get(tokenid);
    if (!token) return this.error(E.tokenUnknown, echo);
    if (!token.enabled) return this.error(E.tokenDisabled, echo);

    const action = text(req.actiontype);
    if (action === '') return this.error(E.missingParameter, echo, { field: 'actiontype' });
    if (action !== ACTION_CREATE) return this.error(E.unsupportedAction, echo, { field: 'actiontype' });

    const orderNumber = text(req.orderNumber);
    if (orderNumber === undefined) return this.error(E.badParameter, '', { field: 'orderNumber' });
    if (orderNumber === '') return this.error(E.orderNumberEmpty, '', { field: 'orderNumber' });
    const previous = this.d.store.get(orderNumber);
    if (previous?.state === 'signing') return this.error(E.beingSigned, orderNumber);
    if (previous?.state === 'signed') return this.error(E.alreadySigned, orderNumber);

    const s = this.d.settings();
    const checked = checkCreate(req, s);
    if (!checked.ok) return this.error(checked.code, orderNumber, { field: checked.field });
    if (!this.d.tokens.charge(token, s.pricePerSigning)) return this.error(E.balanceTooLow, orderNumber, { balance: token.balance, price: s.pricePerSigning });

    const v = checked.value;
    const order: SignOrder = {
      orderNumber,
      signid: randomUUID(),
      tokenid,
      state: 'signing',
      createdAt: new Date().toISOString(),
      ...(v.tempid ? { tempid: v.tempid } : {}),
      subject: v.subject,
      fileformat: v.fileformat,
      encrypted: v.encrypted,
      signerTypes: v.signerTypes,
      positions: v.positions,
      documentBytes: v.document.length,
      documentSha256: createHash('sha256').update(v.document).digest('hex'),
      pushes: newPushes(),
      document: v.document,
      round: 0,
    };
    this.d.store.put(order);
    this.d.counters.creates++;
    this.d.signer().schedule(order);
    this.d.log.info({ orderNumber, signid: order.signid, bytes: order.documentBytes, signers: v.signerTypes.length, retry: previous ? true : undefined }, 'wosigndoc simulator: sign order created');
    return createAnswer(1, 0, order.signid, orderNumber, s.answerOrderNumberField);
  }
}
