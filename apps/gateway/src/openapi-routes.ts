/**
 * The gateway's routes as ./openapi.ts documents them: one entry per (method, path), the `/v1`
 * API (./openapi-routes-api.ts) and everything else (./openapi-routes-public.ts). Which entries
 * appear follows what this gateway was built with (`OpenApiFeatures`), so the document lists
 * exactly the routes the app registered; ./openapi.test.ts compares the two both ways, so a new
 * route without an entry fails it.
 */
import type * as v from 'valibot';
import { ProviderPreferencesSchema } from '@saferouter/router';
import { ReasoningSchema } from './chat-request.js';
import * as S from './openapi-schemas.js';
import { apiOperations } from './openapi-routes-api.js';
import { byokOperations } from './openapi-routes-byok.js';
import { publicOperations } from './openapi-routes-public.js';
import type { OpenApiFeatures, OperationDoc } from './openapi-types.js';

/** Every documented operation of a gateway with `features`. */
export function operations(features: OpenApiFeatures): OperationDoc[] {
  // BYOK keys are sealed to the attested sealing key: served where attestation is.
  return [...apiOperations(), ...(features.attestation ? byokOperations() : []), ...publicOperations(features)];
}

/** Schemas the document also lists as components, though no operation names them directly. */
export const EXTRA_COMPONENTS: Record<string, v.GenericSchema> = {
  ProviderPreferences: ProviderPreferencesSchema,
  Reasoning: ReasoningSchema,
  Error: S.ErrorBody,
};
