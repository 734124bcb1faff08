import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (DataConverter.failureConverterPath) both in the worker's main thread and
 * inside the workflow bundle, so it must stay sandbox-safe: @temporalio/common only.
 *
 * encodeCommonAttributes moves failure messages and stack traces into a payload, so the
 * payload codec encrypts them: an error message quoting a customer's name or e-mail would
 * otherwise sit in the history in plain text.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
