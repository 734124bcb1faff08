/**
 * The platform's issuing CA: a CaHierarchy of its own (its own brand, so a chain mix-up with
 * another simulator fails verification), issuing through the acmapi simulator's AcmapiCa.
 * Shared by in-process simulators: RSA key generation is most of a start.
 */
import { AcmapiCa } from '../acmapi/ca';
import { CaHierarchy } from '../wotrus/pki';

let shared: Promise<AcmapiCa> | undefined;

export function sharedResellerCa(): Promise<AcmapiCa> {
  shared ??= CaHierarchy.create('rsa', { organization: 'Certflow Reseller Platform Simulator', prefix: 'Reseller Simulator' }).then(
    (h) => new AcmapiCa(h),
    (err: unknown) => {
      shared = undefined;
      throw err;
    },
  );
  return shared;
}
