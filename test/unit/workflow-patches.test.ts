import * as awaitIssuance from '../../src/workflows/await-issuance';
import * as boundOrder from '../../src/workflows/bound-order';
import * as customerAction from '../../src/workflows/customer-action';
import * as inlineFirst from '../../src/workflows/inline-first';
import * as children from '../../src/workflows/order/children';
import * as delivery from '../../src/workflows/order/delivery';
import * as issuance from '../../src/workflows/order/issuance';
import { PATCHES_UP_FRONT_PATCH, WORKFLOW_PATCH_IDS } from '../../src/workflows/patches';

test('every patch the workflows ask is asked up front (patches-up-front), and nothing else', () => {
  const exported = [awaitIssuance, boundOrder, customerAction, inlineFirst, children, delivery, issuance]
    .flatMap((m) => Object.entries(m).filter(([name, v]) => name.endsWith('_PATCH') && typeof v === 'string').map(([, v]) => v as string));
  expect([...new Set(exported)].sort()).toEqual([...WORKFLOW_PATCH_IDS].sort());
  expect(WORKFLOW_PATCH_IDS).not.toContain(PATCHES_UP_FRONT_PATCH);
});
