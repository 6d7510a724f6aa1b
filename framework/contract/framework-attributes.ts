/** Custom attributes that the framework itself reads from every request. */
import type { AttributeSchema } from './parameters.js';

/** Attributes every model understands; an algorithm may not declare these names itself. */
export const FRAMEWORK_ATTRIBUTES = {
  output: {
    type: 'string',
    description:
      'How predictions are written: "columns" (input + <column>_imputed, _imputed_proba), "fill" (the input with its gaps filled), or an output of the algorithm. Default: the algorithm\'s choice for the media type.',
  },
} as const satisfies AttributeSchema;

/** Everything a request to a model of this algorithm may carry: its own attributes and the framework's. */
export function requestAttributeSchema(algorithm: { readonly attributes?: AttributeSchema }): AttributeSchema {
  return { ...algorithm.attributes, ...FRAMEWORK_ATTRIBUTES };
}
