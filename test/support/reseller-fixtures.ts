/** The reseller document's own example (test/fixtures/reseller/), as the tests use it. */
import fs from 'node:fs';
import path from 'node:path';
import { ORGANIZATION_FIELDS, type OrganizationFields } from '../../src/ca/reseller';
import type { Organization } from '../../src/domain/documents';

const FIXTURES = path.resolve(__dirname, '../fixtures/reseller');

/** The repaired request example of the document (comments removed, nothing else). */
export const documentRequest = (): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'reissue.request.json'), 'utf8')) as Record<string, unknown>;

/** The organisation of the document's example request: every OV/EV/IV field, as the document fills them. */
export const DOCUMENT_ORGANIZATION: OrganizationFields = Object.freeze(
  Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, String(documentRequest()[f])])),
) as OrganizationFields;

/**
 * An organisation with every field the reseller platform requires for OV (its mapping:
 * src/ca/reseller/organization.ts), as the document's example fills them
 * (`organizationFieldsOf` of it is `DOCUMENT_ORGANIZATION`).
 */
export const RESELLER_TEST_ORGANIZATION: Organization = Object.freeze({
  orgName: 'XX数字证书有限公司',
  orgUnit: 'IT',
  street: '上海市具体某条街道',
  businessLicense: '31041485234546',
  countryCode: 'CN',
  state: '上海市',
  city: '上海市',
  zip: '200100',
  orgPhone: '021-10000001',
  dateOfIncorporation: '2019-01-01',
  userLastName: '张',
  userFirstName: '君宝',
  contactTitle: '法人',
  userMobile: '13800138000',
});
