import { DecisionValidationError, validateDecision } from './decision-schema';
import { HandlerRejectedError, type FrHandler } from './types';

// Custom handlers are the integrator's code: check what they return at the plug-in boundary, so a bad
// decision fails as a business error that names the handler and the field, not deep in the pipeline.
export function withDecisionValidation(handler: FrHandler): FrHandler {
  return {
    name: handler.name,
    async decide(fr, ctx) {
      const raw: unknown = await handler.decide(fr, ctx);
      try {
        return validateDecision(fr, raw);
      } catch (err) {
        if (err instanceof DecisionValidationError) {
          throw new HandlerRejectedError(`handler "${handler.name}" returned an ${err.message}`, {
            cause: err,
          });
        }
        throw err;
      }
    },
  };
}
