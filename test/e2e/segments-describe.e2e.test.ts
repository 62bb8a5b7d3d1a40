import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { SegmentNode } from '../../web/src/api/segments';
import { describeSegment, type Translate } from '../../web/src/features/segments/describe';
import {
  addLimit,
  appendChild,
  emptyGroup,
  errorsByNode,
  fromDefinition,
  newCondition,
  toDefinition,
} from '../../web/src/features/segments/model';
import en from '../../web/src/i18n/en.json';
import es from '../../web/src/i18n/es.json';
import fr from '../../web/src/i18n/fr.json';

/**
 * The builder's pure parts, without a browser: the sentence of a tree in the three languages, and the
 * editor model (to and from the contract's JSON, server errors back to their rows, limits).
 */

const i18n = i18next.createInstance();
await i18n.init({
  resources: { en: { translation: en }, es: { translation: es }, fr: { translation: fr } },
  lng: 'en',
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});

const LOCATION = '0b7f5f5e-4c55-4a41-9a55-0a1f3c0d2b11';

function sentence(node: SegmentNode, language = 'en') {
  return describeSegment(node, {
    t: i18n.getFixedT(language) as unknown as Translate,
    language,
    labelName: (key) => ({ customer: 'Customer', prospect: 'Prospect' })[key],
    locationName: (id) => (id === LOCATION ? 'Centro' : undefined),
    customField: (key) =>
      key === 'shoe_size'
        ? { label: 'Shoe size', type: 'number' }
        : key === 'renewal'
          ? { label: 'Renewal', type: 'date' }
          : undefined,
  });
}

/** The example of SEGMENTS.md. */
const EXAMPLE: SegmentNode = {
  all: [
    { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
    { field: 'tags', op: 'has', value: 'vip' },
    {
      any: [
        { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
        { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 },
      ],
    },
    { field: 'consent.whatsapp', op: 'is', value: true },
    { not: { field: 'last_contacted_at', op: 'within_last_days', value: 14 } },
  ],
};

describe('segment sentence', () => {
  it('reads the contract example in English, Spanish and French', () => {
    expect(sentence(EXAMPLE)).toBe(
      'Clients in Madrid or Valencia, tagged vip, either with at least 3 bookings in the last 180 days or with payments totalling more than 500 in the last 365 days, and who can receive WhatsApp messages, except those last contacted in the last 14 days.',
    );
    expect(sentence(EXAMPLE, 'es')).toBe(
      'Clientes de Madrid o Valencia, con la etiqueta vip, ya sea con al menos 3 reservas en los últimos 180 días o con pagos por un total de más de 500 en los últimos 365 días y que pueden recibir mensajes de WhatsApp, excepto aquellos contactados por última vez en los últimos 14 días.',
    );
    expect(sentence(EXAMPLE, 'fr')).toBe(
      'Clients à Madrid ou Valencia, avec le tag vip, soit avec au moins 3 réservations au cours des 180 derniers jours ou avec des paiements totalisant plus de 500 au cours des 365 derniers jours et qui acceptent les messages WhatsApp, sauf ceux contactés pour la dernière fois au cours des 14 derniers jours.',
    );
  });

  it('says "all clients" for an empty tree and names excluded ones', () => {
    expect(sentence({ all: [] })).toBe('All clients.');
    expect(sentence({ all: [] }, 'es')).toBe('Todos los clientes.');
    expect(sentence({ not: { field: 'tags', op: 'has', value: 'blocked' } })).toBe(
      'All clients except those tagged blocked.',
    );
    expect(sentence({ all: [{ not: { field: 'tags', op: 'has_any', value: ['a', 'b'] } }] }, 'fr')).toBe(
      'Tous les clients sauf ceux avec le tag a ou b.',
    );
  });

  it('describes each kind of field with its names', () => {
    expect(sentence({ field: 'label', op: 'in', value: ['customer', 'prospect'] })).toBe(
      'Clients labelled Customer or Prospect.',
    );
    expect(sentence({ field: 'country', op: 'eq', value: 'ES' })).toBe('Clients in Spain.');
    expect(sentence({ field: 'email', op: 'contains', value: '@gmail' })).toBe(
      'Clients whose email contains “@gmail”.',
    );
    expect(sentence({ field: 'custom.shoe_size', op: 'between', value: [38, 42] })).toBe(
      'Clients whose “Shoe size” is between 38 and 42.',
    );
    expect(sentence({ field: 'custom.renewal', op: 'before', value: '2025-03-01' })).toBe(
      'Clients with “Renewal” before Mar 1, 2025.',
    );
    expect(sentence({ field: 'phone', op: 'is_not_set' }, 'es')).toBe('Clientes con «Teléfono» vacío.');
    expect(sentence({ field: 'location_id', op: 'eq', value: LOCATION })).toBe(
      'Clients whose home location is Centro.',
    );
    expect(sentence({ field: 'created_at', op: 'within_last_days', value: 1 })).toBe(
      'Clients added in the last 1 day.',
    );
    expect(sentence({ field: 'consent.email', op: 'is', value: false }, 'fr')).toBe(
      "Clients qui n'acceptent pas les e-mails.",
    );
  });

  it('describes events and engagement', () => {
    expect(
      sentence({
        event: 'class',
        measure: 'count',
        op: 'eq',
        value: 0,
        location_id: LOCATION,
        properties: { level: 'pro' },
      }),
    ).toBe('Clients with no “class” events at Centro with level “pro”.');
    expect(sentence({ event: 'visit', measure: 'count', op: 'gte', value: 1 }, 'es')).toBe(
      'Clientes con al menos 1 visita.',
    );
    expect(sentence({ engagement: 'opened', op: 'has_not', channel: 'email', within_days: 30 })).toBe(
      'Clients who did not open any campaign message by email in the last 30 days.',
    );
  });

  it('groups alternatives inside alternatives with parentheses', () => {
    const tree: SegmentNode = {
      any: [
        { field: 'city', op: 'eq', value: 'Madrid' },
        {
          all: [
            { field: 'tags', op: 'has', value: 'vip' },
            { field: 'risk_score', op: 'gte', value: 70 },
          ],
        },
      ],
    };
    expect(sentence(tree)).toBe('Clients in Madrid or (tagged vip and whose churn risk is at least 70).');
  });
});

describe('builder model', () => {
  it('round-trips the contract example', () => {
    const root = fromDefinition(EXAMPLE);
    expect(toDefinition(root).definition).toEqual(EXAMPLE);
  });

  it('leaves unfinished conditions out of the preview and maps server errors to rows', () => {
    let root = fromDefinition(EXAMPLE);
    const unfinished = newCondition();
    root = appendChild(root, root.id, unfinished);
    const preview = toDefinition(root, { skipIncomplete: true });
    expect(preview.definition).toEqual(EXAMPLE);
    expect(preview.skipped.has(unfinished.id)).toBe(true);

    const negated = root.children[4]!;
    const booking = (root.children[2] as { children: Array<{ id: string }> }).children[0]!;
    const errors = errorsByNode(preview, root.id, [
      { path: '/all/4/not/value', message: 'must be a whole number of days' },
      { path: '/all/2/any/0/within_days', message: 'too many days' },
      { path: '/', message: 'too many conditions' },
    ]);
    expect(errors.get(negated.id)).toEqual([{ part: 'value', message: 'must be a whole number of days' }]);
    expect(errors.get(booking.id)).toEqual([{ part: 'within_days', message: 'too many days' }]);
    expect(errors.get(root.id)).toEqual([{ part: '', message: 'too many conditions' }]);
  });

  it('stops adding at depth 6 and 100 conditions', () => {
    let root = emptyGroup();
    let group = root;
    // Levels 2..5 are groups; a condition fits at level 6, a group with a condition doesn't.
    for (let level = 2; level <= 5; level++) {
      const child = emptyGroup();
      root = appendChild(root, group.id, child);
      group = child;
    }
    expect(addLimit(root, group, 'condition')).toBeNull();
    expect(addLimit(root, group, 'group')).toBe('depth');

    let flat = emptyGroup();
    const inner = Array.from({ length: 2 }, () => emptyGroup());
    for (const g of inner) flat = appendChild(flat, flat.id, g);
    for (let i = 0; i < 100; i++) flat = appendChild(flat, inner[i % 2]!.id, newCondition());
    expect(addLimit(flat, flat, 'condition')).toBe('conditions');
  });
});
