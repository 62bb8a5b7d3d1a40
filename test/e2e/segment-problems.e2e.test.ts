import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInstance } from 'i18next';
import { describe, expect, it } from 'vitest';
import { type ProblemParams, SEGMENT_PROBLEM_CODES } from '../../src/modules/segments/segment-definition.ts';
import { problemText } from '../../web/src/features/segments/problems';
import { screenshot } from './support/browser';
import { REPO_ROOT } from './support/server';
import { callApi, logIn, useBrowserSession } from './support/session';

/**
 * The problems of a segment tree in the reader's language: the server sends a stable code and its
 * params beside the English message, and the dashboard words each code in en, es and fr.
 */
const SAMPLE: ProblemParams = {
  max: 6,
  min: 1,
  count: 7,
  key: 'tier',
  group: 'all',
  keys: 'all, any',
  field: 'email',
  op: 'gt',
  allowed: 'eq, neq',
  value: 'gold',
  got: 'list',
};

async function translator(language: string) {
  const i18n = createInstance();
  const resources = Object.fromEntries(
    ['en', 'es', 'fr'].map((lng) => [
      lng,
      {
        translation: JSON.parse(readFileSync(join(REPO_ROOT, 'web', 'src', 'i18n', `${lng}.json`), 'utf8')),
      },
    ]),
  );
  await i18n.init({ resources, lng: language, fallbackLng: 'en', interpolation: { escapeValue: false } });
  return i18n.t.bind(i18n) as unknown as (key: string, options?: Record<string, unknown>) => string;
}

describe('segment problems in the reader’s language', () => {
  it('words every code in en, es and fr, with its params in place; unknown codes fall back to the message', async () => {
    const worded = new Map<string, Map<string, string>>();
    for (const language of ['en', 'es', 'fr']) {
      const t = await translator(language);
      const texts = new Map<string, string>();
      for (const code of SEGMENT_PROBLEM_CODES) {
        const text = problemText(t, { message: 'ENGLISH MESSAGE', code, params: SAMPLE });
        expect(text, `${language} ${code}`).not.toBe('ENGLISH MESSAGE');
        expect(text, `${language} ${code}`).not.toMatch(/segments\.problem|\{\{|\}\}/);
        texts.set(code, text);
      }
      worded.set(language, texts);
      expect(problemText(t, { message: 'from a newer server', code: 'no_such_code' })).toBe(
        'from a newer server',
      );
      expect(problemText(t, { message: 'no code at all' })).toBe('no code at all');
    }
    const { en, es, fr } = Object.fromEntries(worded) as Record<string, Map<string, string>>;
    // Params land where the translation puts them; `got` is itself a word of the language.
    expect(es!.get('unknown_custom_field')).toContain('«tier»');
    expect(fr!.get('too_many_children')).toBe(
      'Un groupe contient au plus 6 conditions et groupes ; celui-ci en a 7',
    );
    expect(en!.get('text_required')).toBe('Enter text here, not a list');
    expect(es!.get('text_required')).toBe('Aquí va texto, no una lista');
    // Each language has its own wording for every code.
    for (const code of SEGMENT_PROBLEM_CODES) {
      expect(es!.get(code), code).not.toBe(en!.get(code));
      expect(fr!.get(code), code).not.toBe(en!.get(code));
    }
  });

  describe('in the builder', () => {
    const session = useBrowserSession('segment-problems');

    it('shows a saved segment’s problem in Spanish (an archived custom field)', async () => {
      await logIn(session);
      const { page, server } = session;
      const field = await callApi<{ id: string }>(session, 'POST', '/api/v1/custom-fields', {
        key: 'tier',
        label: 'Tier',
        type: 'text',
      });
      const segment = await callApi<{ id: string }>(session, 'POST', '/api/v1/segments', {
        name: 'Gold tier',
        definition: { field: 'custom.tier', op: 'eq', value: 'gold' },
      });
      const archived = await page.request.fetch(`${server.url}/api/v1/custom-fields/${field.id}`, {
        method: 'DELETE',
        headers: { 'X-Workspace-Id': session.workspaceId, Origin: server.url },
      });
      expect(archived.ok()).toBe(true);
      const saved = await callApi<{ problems: Array<{ code?: string }> }>(
        session,
        'GET',
        `/api/v1/segments/${segment.id}`,
      );
      expect(saved.problems.map((p) => p.code)).toEqual(['custom_field_archived']);

      await page.evaluate(() => window.localStorage.setItem('clientela.language', 'es'));
      await page.goto(`/segments/${segment.id}`);
      const spanish = page.getByText(
        'El campo personalizado «tier» está archivado: restáuralo o quita esta condición',
      );
      await spanish.first().waitFor({ timeout: 15_000 });
      expect(await page.getByText("custom field 'tier' is archived").count()).toBe(0);
      await screenshot(page, 'segment-problems-es');
    });
  });
});
