/**
 * `/v1/byok` as ./openapi.ts documents it: present on a gateway with an attestor (keys are sealed
 * to its attested sealing key), like the attestation routes. The request body is the schema the
 * route validates with; the answers are the views ./byok.ts builds.
 */
import * as v from 'valibot';
import { ByokUploadRequest } from './routes/byok.js';
import { json, named, type OperationDoc } from './openapi-types.js';

const ByokKey = v.object({
  id: v.string(),
  object: v.literal('byok_key'),
  provider: v.string(),
  last4: v.pipe(
    v.string(),
    v.maxLength(4),
    v.description('The last 4 characters of the key (empty for a key shorter than 8). Never the key.'),
  ),
  always_use: v.boolean(),
  status: v.pipe(
    v.picklist(['active', 'sealed_to_other_build']),
    v.description(
      '`sealed_to_other_build`: sealed by another build of the gateway (an upgrade, a new catalog): never used, upload it again.',
    ),
  ),
  created_at: v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Milliseconds since the Unix epoch.')),
});

const ByokKeyList = v.object({ object: v.literal('list'), data: v.array(ByokKey) });
const DeletedByokKey = v.object({ id: v.string(), object: v.literal('byok_key'), deleted: v.literal(true) });

const ID = [{ name: 'id', in: 'path' as const, required: true, schema: v.string(), description: 'The BYOK key id.' }];

/** The BYOK operations of a gateway with an attestor. */
export function byokOperations(): OperationDoc[] {
  return [
    {
      method: 'post',
      path: '/v1/byok',
      tag: 'Keys',
      summary: 'Bring your own provider key',
      description:
        'A provider key sealed to this attested build with HPKE (`sealProviderKey` in @saferouter/verify, or ' +
        '`saferouter-verify seal-key`): opened only inside the build, stored sealed, used for your requests to that ' +
        'provider. Replaces your earlier key for the provider. User keys only (docs/byok.md).',
      auth: 'key',
      body: { schema: named('ByokUploadRequest', ByokUploadRequest), required: true },
      ok: {
        status: 201,
        description: 'The stored key (never the key itself).',
        content: json(named('ByokKey', ByokKey)),
      },
      errors: [400, 401, 403, 413],
    },
    {
      method: 'get',
      path: '/v1/byok',
      tag: 'Keys',
      summary: 'Your provider keys',
      description: 'Each with its status; never the key.',
      auth: 'key',
      ok: { status: 200, description: 'Your keys, by provider.', content: json(named('ByokKeyList', ByokKeyList)) },
      errors: [401, 403],
    },
    {
      method: 'delete',
      path: '/v1/byok/{id}',
      tag: 'Keys',
      summary: 'Delete a provider key',
      description: 'Your requests to that provider use the gateway’s key again.',
      auth: 'key',
      params: ID,
      ok: { status: 200, description: 'Deleted.', content: json(named('DeletedByokKey', DeletedByokKey)) },
      errors: [401, 403, 404],
    },
  ];
}
