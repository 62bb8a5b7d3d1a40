import {
  type EngagementCondition,
  type EventCondition,
  type FieldCondition,
  type FieldType,
  isAllNode,
  isAnyNode,
  isEngagementNode,
  isEventNode,
  isFieldNode,
  isNotNode,
  type SegmentNode,
} from '../../api/segments';

/**
 * A condition tree as one plain sentence in the reader's language ("Clients in Madrid or Valencia, tagged
 * vip, with at least 3 bookings in the last 180 days, except those last contacted in the last 14 days.").
 * Pure: every word comes from `t` (the `segments.describe.*` keys of en/es/fr.json), lists from
 * Intl.ListFormat, numbers and dates from Intl, names of labels, locations and custom fields from the
 * context. Conditions read as clauses after "Clients"; `not` becomes "except those …".
 */

export type Translate = (key: string, values?: Record<string, unknown>) => string;

export interface DescribeContext {
  t: Translate;
  /** BCP 47 language of the sentence (en, es, fr). */
  language: string;
  /** A custom field's label and type, by key. */
  customField?: (key: string) => { label: string; type: FieldType } | undefined;
  /** A label's display name, by key. */
  labelName?: (key: string) => string | undefined;
  locationName?: (id: string) => string | undefined;
  /** Time zone for date-times (date-only values are calendar days and never shift). */
  timeZone?: string;
}

const EVENT_NOUNS = new Set(['booking', 'payment', 'purchase', 'support', 'visit']);
const DATE_SUBJECTS = new Set(['created_at', 'last_activity_at', 'last_contacted_at']);
const BUILTIN_TYPES: Record<string, FieldType> = {
  first_name: 'text',
  last_name: 'text',
  name: 'text',
  email: 'text',
  phone: 'text',
  city: 'text',
  country: 'text',
  locale: 'text',
  source: 'text',
  external_id: 'text',
  label: 'select',
  lifetime_value: 'number',
  risk_score: 'number',
  created_at: 'date',
  last_activity_at: 'date',
  last_contacted_at: 'date',
  tags: 'tags',
  location_id: 'select',
};

class Describer {
  private readonly and: Intl.ListFormat;
  private readonly or: Intl.ListFormat;
  private readonly number: Intl.NumberFormat;
  private readonly day: Intl.DateTimeFormat;
  private readonly moment: Intl.DateTimeFormat;
  private readonly regions: Intl.DisplayNames | null;

  constructor(private readonly ctx: DescribeContext) {
    const language = ctx.language;
    this.and = new Intl.ListFormat(language, { type: 'conjunction', style: 'long' });
    this.or = new Intl.ListFormat(language, { type: 'disjunction', style: 'long' });
    this.number = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
    this.day = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
    this.moment = new Intl.DateTimeFormat(language, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: ctx.timeZone,
    });
    this.regions =
      typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([language], { type: 'region' }) : null;
  }

  private t(key: string, values?: Record<string, unknown>): string {
    return this.ctx.t(`segments.describe.${key}`, values);
  }

  // ---- the whole tree --------------------------------------------------------------------------

  sentence(node: SegmentNode): string {
    if (isNotNode(node))
      return `${this.t('allClientsExcept', { excluded: this.clause(node.not, 'except') })}.`;
    if (isAnyNode(node)) {
      if (node.any.length === 0) return `${this.t('noClients')}.`;
      return `${this.t('clients', { conditions: this.anyList(node.any) })}.`;
    }
    if (isAllNode(node)) {
      const { included, excluded } = this.split(node.all);
      if (!included.length && !excluded.length) return `${this.t('allClients')}.`;
      if (!included.length) return `${this.t('allClientsExcept', { excluded: this.or.format(excluded) })}.`;
      const conditions = this.and.format(included);
      if (!excluded.length) return `${this.t('clients', { conditions })}.`;
      return `${this.t('clientsExcept', { conditions, excluded: this.or.format(excluded) })}.`;
    }
    return `${this.t('clients', { conditions: this.condition(node) })}.`;
  }

  /** Children of an "all": what they must be, and (from `not` children) what they must not be. */
  private split(children: SegmentNode[]): { included: string[]; excluded: string[] } {
    const included: string[] = [];
    const excluded: string[] = [];
    for (const child of children) {
      if (isNotNode(child)) excluded.push(this.clause(child.not, 'except'));
      else included.push(this.clause(child, 'all'));
    }
    return { included, excluded };
  }

  private anyList(children: SegmentNode[]): string {
    return this.or.format(
      children.map((child) =>
        isNotNode(child)
          ? this.t('anyClientExcept', { excluded: this.clause(child.not, 'except') })
          : this.clause(child, 'any'),
      ),
    );
  }

  /** A node as a clause inside a list whose words are `within`'s ("all", "any", or after "except those"). */
  private clause(node: SegmentNode, within: 'all' | 'any' | 'except'): string {
    if (isNotNode(node)) {
      return this.t('anyClientExcept', { excluded: this.clause(node.not, 'except') });
    }
    if (isAllNode(node)) {
      const { included, excluded } = this.split(node.all);
      if (!included.length && !excluded.length) return this.t('anyClient');
      let text = included.length ? this.and.format(included) : '';
      if (excluded.length) {
        const those = this.or.format(excluded);
        text = text
          ? this.t('listExcept', { list: text, excluded: those })
          : this.t('anyClientExcept', { excluded: those });
      }
      const items = included.length + (excluded.length ? 1 : 0);
      return within === 'all' || items < 2 ? text : this.t('grouped', { list: text });
    }
    if (isAnyNode(node)) {
      if (node.any.length === 1) return this.clause(node.any[0] as SegmentNode, within);
      const list = this.anyList(node.any);
      // After "except those", a plain "a or b" reads right; in a list of musts, "either a or b" keeps it apart.
      return within === 'all' ? this.t('either', { list }) : list;
    }
    return this.condition(node);
  }

  // ---- conditions ----------------------------------------------------------------------------

  private condition(node: SegmentNode): string {
    if (isFieldNode(node)) return this.field(node);
    if (isEventNode(node)) return this.event(node);
    if (isEngagementNode(node)) return this.engagement(node);
    return this.t('anyClient');
  }

  private quoted(value: string): string {
    return this.t('quoted', { value });
  }

  private typeOf(field: string, op: string): FieldType {
    if (field.startsWith('consent.')) return 'boolean';
    const builtin = BUILTIN_TYPES[field];
    if (builtin) return builtin;
    if (field.startsWith('custom.')) {
      const custom = this.ctx.customField?.(field.slice(7));
      if (custom) return custom.type;
    }
    // An unknown field: guess from the operator, only to choose words.
    if (['before', 'after', 'within_last_days', 'more_than_days_ago'].includes(op)) return 'date';
    if (['lt', 'lte', 'gt', 'gte', 'between'].includes(op)) return 'number';
    if (op === 'is') return 'boolean';
    if (op.startsWith('has')) return 'multi_select';
    return 'text';
  }

  /** "City", "Shoe size": the field's name, for "with … filled in". */
  private fieldName(field: string): string {
    if (field.startsWith('custom.')) return this.ctx.customField?.(field.slice(7))?.label ?? field.slice(7);
    return this.t(`fieldNames.${field}`);
  }

  /** "whose city", "whose “Shoe size”". */
  private subject(field: string): string {
    if (field.startsWith('custom.') || !BUILTIN_TYPES[field])
      return this.t('subjects.custom', { label: this.quoted(this.fieldName(field)) });
    return this.t(`subjects.${field}`);
  }

  private dateSubject(field: string): string {
    if (DATE_SUBJECTS.has(field)) return this.t(`dateSubjects.${field}`);
    return this.t('dateSubjects.custom', { label: this.quoted(this.fieldName(field)) });
  }

  private formatDate(value: unknown): string {
    if (typeof value !== 'string') return String(value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const time = Date.parse(`${value}T00:00:00Z`);
      return Number.isNaN(time) ? value : this.day.format(time);
    }
    const time = Date.parse(value);
    return Number.isNaN(time) ? value : this.moment.format(time);
  }

  private formatNumber(value: unknown): string {
    return typeof value === 'number' ? this.number.format(value) : String(value);
  }

  /** One value as the reader should see it: a label's or location's name, a country, a quoted text. */
  private formatValue(field: string, type: FieldType, value: unknown): string {
    if (type === 'number') return this.formatNumber(value);
    if (type === 'date') return this.formatDate(value);
    if (type === 'boolean') return value === true ? this.quoted(this.t('yes')) : this.quoted(this.t('no'));
    const text = String(value);
    if (field === 'label') return this.ctx.labelName?.(text) ?? text;
    if (field === 'location_id') return this.ctx.locationName?.(text) ?? this.t('unknownLocation');
    if (field === 'country' && /^[a-z]{2}$/i.test(text)) {
      try {
        return this.regions?.of(text.toUpperCase()) ?? text;
      } catch {
        return text;
      }
    }
    if (type === 'select' || type === 'multi_select' || type === 'tags' || field === 'city') return text;
    return this.quoted(text);
  }

  private values(field: string, type: FieldType, value: unknown, join: 'and' | 'or' | 'comma'): string {
    const list = (Array.isArray(value) ? value : [value]).map((item) => this.formatValue(field, type, item));
    if (join === 'comma') return list.join(', ');
    return (join === 'and' ? this.and : this.or).format(list);
  }

  private field(node: FieldCondition): string {
    const { field, op } = node;
    const type = this.typeOf(field, op);
    const value = node.value;

    if (op === 'is_set' || op === 'is_not_set') {
      const name = this.quoted(this.fieldName(field));
      return this.t(op === 'is_set' ? 'isSet' : 'isNotSet', { field: name });
    }

    if (field.startsWith('consent.') && op === 'is') {
      const channel = this.t(`channels.${field.slice(8)}`);
      return this.t(value === true ? 'consent.yes' : 'consent.no', { channel });
    }

    if (type === 'tags') {
      const join = op === 'has_all' ? 'and' : op === 'has_none' ? 'comma' : 'or';
      return this.t(`tagged.${op}`, { value: this.values(field, type, value, join) });
    }

    if (type === 'date') {
      const subject = this.dateSubject(field);
      if (op === 'within_last_days' || op === 'more_than_days_ago')
        return this.t(`date.${op}`, { subject, count: typeof value === 'number' ? value : 0 });
      if (op === 'between' && Array.isArray(value))
        return this.t('date.between', {
          subject,
          from: this.formatDate(value[0]),
          to: this.formatDate(value[1]),
        });
      return this.t(`date.${op}`, { subject, date: this.formatDate(value) });
    }

    // Where a client is and how they are labelled read best without "whose … is".
    if ((op === 'eq' || op === 'in') && (field === 'city' || field === 'country' || field === 'label'))
      return this.t(`place.${field}`, { value: this.values(field, type, value, 'or') });

    const subject = this.subject(field);
    if (op === 'between' && Array.isArray(value))
      return this.t('op.between', {
        subject,
        from: this.formatValue(field, type, value[0]),
        to: this.formatValue(field, type, value[1]),
      });
    const join = op === 'has_all' ? 'and' : op === 'not_in' || op === 'has_none' ? 'comma' : 'or';
    return this.t(`op.${op}`, { subject, value: this.values(field, type, value, join) });
  }

  private eventNoun(type: string, count: number): string {
    if (EVENT_NOUNS.has(type)) return this.t(`events.${type}`, { count });
    return this.t('events.other', { count, type: this.quoted(type) });
  }

  private event(node: EventCondition): string {
    const details: string[] = [];
    if (typeof node.within_days === 'number') details.push(this.t('within', { count: node.within_days }));
    if (node.location_id)
      details.push(
        this.t('atLocation', {
          location: this.ctx.locationName?.(node.location_id) ?? this.t('unknownLocation'),
        }),
      );
    const properties = Object.entries(node.properties ?? {});
    if (properties.length)
      details.push(
        this.t('withProperties', {
          properties: this.and.format(
            properties.map(([key, value]) =>
              this.t('property', {
                key,
                value: typeof value === 'string' ? this.quoted(value) : this.formatNumber(value),
              }),
            ),
          ),
        }),
      );
    const suffix = details.length ? ` ${details.join(' ')}` : '';
    if (node.measure === 'sum') {
      const amount = this.t(`amount.${node.op}`, { amount: this.formatNumber(node.value) });
      return `${this.t('eventSum', { events: this.eventNoun(node.event, 2), amount })}${suffix}`;
    }
    const count = node.value;
    const none =
      (node.op === 'eq' && count === 0) ||
      (node.op === 'lt' && count === 1) ||
      (node.op === 'lte' && count === 0);
    const quantity = none
      ? this.t('quantity.none', { noun: this.eventNoun(node.event, 2) })
      : this.t(`quantity.${node.op}`, {
          count: this.formatNumber(count),
          noun: this.eventNoun(node.event, node.op === 'neq' ? 2 : count),
        });
    return `${this.t('eventCount', { quantity })}${suffix}`;
  }

  private engagement(node: EngagementCondition): string {
    const parts = [this.t(`engagement.${node.op === 'has_not' ? 'hasNot' : 'has'}.${node.engagement}`)];
    if (node.channel)
      parts.push(this.t('byChannel', { channel: this.t(`engagementChannels.${node.channel}`) }));
    if (node.campaign_id) parts.push(this.t('ofCampaign'));
    if (typeof node.within_days === 'number') parts.push(this.t('within', { count: node.within_days }));
    return parts.join(' ');
  }
}

/** The sentence of a tree, ending with a full stop. */
export function describeSegment(node: SegmentNode, ctx: DescribeContext): string {
  return new Describer(ctx).sentence(node);
}
