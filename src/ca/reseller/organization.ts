import type { Organization } from '../../domain/documents';
import type { OrganizationField, OrganizationFields } from './schemas';

/**
 * certflow's `Organization` (src/domain/documents.ts) in the document's organisation fields
 * (schemas.ts ORGANIZATION_FIELDS), the mapping docs/reseller.md lists:
 *
 * | document field | from `Organization` |
 * | --- | --- |
 * | `organization` | `orgName` |
 * | `organization_unit` | `orgUnit` |
 * | `registered_address_line1` | `street` |
 * | `serial_no` | `businessLicense` (the registration number) |
 * | `country` | `countryCode` |
 * | `state` | `state` |
 * | `city` | `city` |
 * | `postal_code` | `zip` |
 * | `organization_phone` | `orgPhone` |
 * | `date_of_incorporation` | `dateOfIncorporation` |
 * | `contact_name` | `userLastName` + `userFirstName` (CJK names, family name first, no space: 张君宝), else `userFirstName userLastName` |
 * | `contact_title` | `contactTitle` |
 * | `contact_phone` | `userMobile` |
 *
 * Not sent: `businessCategory`, `orgEmail`, `userEmail`, `idCardNo`, `otherName` (the
 * document has no field for them). A field with nothing to map is left out: the rules
 * (rules.ts `organizationIssues`) then name it for OV/EV/IV, before any call.
 */
export function organizationFieldsOf(o: Organization): OrganizationFields {
  const fields: OrganizationFields = {
    organization: o.orgName,
    organization_unit: o.orgUnit,
    registered_address_line1: o.street,
    serial_no: o.businessLicense,
    country: o.countryCode,
    state: o.state,
    city: o.city,
    postal_code: o.zip,
    organization_phone: o.orgPhone,
    date_of_incorporation: o.dateOfIncorporation,
    contact_name: contactNameOf(o),
    contact_title: o.contactTitle,
    contact_phone: o.userMobile,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v.trim() !== '')) as OrganizationFields;
}

/**
 * The inverse of `organizationFieldsOf`: the `Organization` fields each document field is made
 * of, for naming a refused document field in certflow's words (`organization_unit` →
 * `orgUnit`). `contact_name` is made of either name or both (`contactNameOf`).
 */
export const ORGANIZATION_SOURCES: Readonly<Record<OrganizationField, readonly (keyof Organization)[]>> = Object.freeze({
  organization: ['orgName'],
  organization_unit: ['orgUnit'],
  registered_address_line1: ['street'],
  serial_no: ['businessLicense'],
  country: ['countryCode'],
  state: ['state'],
  city: ['city'],
  postal_code: ['zip'],
  organization_phone: ['orgPhone'],
  date_of_incorporation: ['dateOfIncorporation'],
  contact_name: ['userFirstName', 'userLastName'],
  contact_title: ['contactTitle'],
  contact_phone: ['userMobile'],
});

/**
 * Where a document field comes from in an order request: `['organization', <Organization
 * field>]` (for `contact_name`, the first name), and the words to add to a rule about it,
 * naming the document's field (and, for `contact_name`, both names).
 */
export function organizationPathOf(field: OrganizationField): { path: string[]; note: string } {
  const sources = ORGANIZATION_SOURCES[field];
  const note = sources.length > 1
    ? `the platform's ${field}, from ${sources.map((s) => `organization.${s}`).join(' and/or ')}`
    : `the platform's ${field}`;
  return { path: ['organization', sources[0] ?? field], note };
}

/** Han, kana, hangul: names written family name first without a space. */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;

/** The contact person's full name, as people of that script write it. */
export function contactNameOf(o: Pick<Organization, 'userFirstName' | 'userLastName'>): string | undefined {
  const first = o.userFirstName?.trim() || undefined;
  const last = o.userLastName?.trim() || undefined;
  if (first === undefined || last === undefined) return first ?? last;
  return CJK.test(first + last) ? `${last}${first}` : `${first} ${last}`;
}
