import { DefaultFailureConverter } from '@temporalio/common';

// Loaded by path (DataConverter.failureConverterPath) in two places: the worker's main thread, and the workflow
// bundle, where it runs inside the deterministic sandbox. Keep it free of Node builtins and other imports.
//
// With encodeCommonAttributes, a failure's message and stack trace move into `encodedAttributes`, a payload,
// so the payload codec encrypts them; the plaintext message becomes "Encoded failure".
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
