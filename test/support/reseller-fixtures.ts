/** The reseller document's own example (test/fixtures/reseller/), as the tests use it. */
import fs from 'node:fs';
import path from 'node:path';
import { ORGANIZATION_FIELDS, type OrganizationFields } from '../../src/ca/reseller';

const FIXTURES = path.resolve(__dirname, '../fixtures/reseller');

/** The repaired request example of the document (comments removed, nothing else). */
export const documentRequest = (): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'reissue.request.json'), 'utf8')) as Record<string, unknown>;

/** The organisation of the document's example request: every OV/EV/IV field, as the document fills them. */
export const DOCUMENT_ORGANIZATION: OrganizationFields = Object.freeze(
  Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, String(documentRequest()[f])])),
) as OrganizationFields;
