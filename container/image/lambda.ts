/**
 * Entry point of the Lambda image (`CMD ["lambda.handler"]`): the framework's Lambda handler
 * with the image's built-in algorithms. Created at import, so that the cold start (config, model
 * load, MODEL_TARBALL unpacking) runs in Lambda's init phase. See docs/lambda.md.
 */
import { createLambdaHandler } from '../../framework/commands/lambda.js';
import { builtInAlgorithms } from './algorithms.js';

export const handler = createLambdaHandler(builtInAlgorithms);
