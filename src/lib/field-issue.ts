/**
 * One rule a request breaks, naming the field: what the API answers with 400 and the CLI
 * prints. Here, below every layer, because the door's checks (orders/) and a CA adapter's
 * own documented rules (ca/<vendor>/) both speak it.
 */
export interface FieldIssue {
  path: (string | number)[];
  rule: string;
}
