/**
 * Any HMAC-signing sender: the `signature` settings say the hash (`sha1`, `sha256`, `sha512`), how the
 * digest is written (`hex`, `base64`), the header and its prefix, and what is signed — a text in which
 * `{body}` (the raw bytes), `{timestamp}` and `{id}` are replaced — with an optional timestamp header
 * checked within the tolerance. Without an id mapping the event id is `digest` (SHA-256 of the body), so
 * a sender that retries the same bytes is deduped.
 */
import type { GenericSignature } from '../../config/compiled.js';
import { IngestSetupError } from '../ingest-setup-error.js';
import { VERIFIED, anyMatches, mismatch, missing, timestampProblem } from './hmac-signature.js';
import type { NativeRequest } from './native-request.js';
import type { WebhookPreset } from './webhook-preset.js';

/** The parts of what is signed, in order, with `{body}` kept as the raw bytes. */
function signedParts(signature: GenericSignature, request: NativeRequest): Array<string | Buffer> {
  return signature.signed.split(/(\{body\}|\{timestamp\}|\{id\})/).flatMap((piece): Array<string | Buffer> => {
    if (piece === '{body}') return [request.raw];
    if (piece === '{timestamp}') return [request.headers[signature.timestampHeader ?? ''] ?? ''];
    if (piece === '{id}') return [request.headers[signature.idHeader ?? ''] ?? ''];
    return piece === '' ? [] : [piece];
  });
}

export const genericPreset: WebhookPreset = {
  name: 'generic',
  summary: 'any sender that signs with an HMAC (configured under `signature`)',
  signatureHeaders: [],
  defaults: { id: 'digest', type: 'body.type' },
  verifier: ({ source, webhook, secrets, toleranceMs, now }) => {
    const signature = webhook.signature;
    if (!signature) {
      throw new IngestSetupError(
        `source "${source}" uses the generic webhook preset but has no \`signature\` settings; say how it signs`,
      );
    }
    return (request) => {
      const given = request.headers[signature.header];
      if (!given) return missing(signature.header);
      if (signature.timestampHeader) {
        const stale = timestampProblem(request.headers[signature.timestampHeader], toleranceMs, now());
        if (stale) return stale;
      }
      if (signature.idHeader && !request.headers[signature.idHeader]) return missing(signature.idHeader);
      // Several signatures may be sent (comma or space separated), each with the prefix.
      const candidates = given
        .split(/[\s,]+/)
        .filter((part) => part.startsWith(signature.prefix))
        .map((part) => part.slice(signature.prefix.length));
      return anyMatches(
        candidates,
        secrets,
        signature.algorithm,
        signature.encoding,
        ...signedParts(signature, request),
      )
        ? VERIFIED
        : mismatch(signature.header, `"${signature.signed}"`);
    };
  },
};
