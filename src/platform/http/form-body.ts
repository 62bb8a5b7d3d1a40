import type { FastifyInstance, FastifyRequest } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';

export type FormBody = Record<string, string>;

async function parseForm(contentType: string, body: Buffer): Promise<FormBody> {
  if (contentType.startsWith(MULTIPART)) {
    const data = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const out: FormBody = {};
    for (const [key, value] of data) if (typeof value === 'string') out[key] = value;
    return out;
  }
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/**
 * Public pages take HTML form posts and RFC 8058 one-click POSTs, which come form-urlencoded or
 * multipart. Call inside a plugin: the parsers then apply to that plugin's routes only.
 */
export function acceptFormBodies(scope: FastifyInstance, bodyLimit = 64 * 1024) {
  for (const type of [FORM, MULTIPART]) {
    if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    scope.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit },
      async (request: FastifyRequest, body: Buffer | string) =>
        parseForm(String(request.headers['content-type']), body as Buffer),
    );
  }
}
