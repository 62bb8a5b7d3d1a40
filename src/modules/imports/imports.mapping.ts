import { createHash } from 'node:crypto';
import type { CustomField } from '../custom-fields/custom-fields.service.ts';

/**
 * Where a column goes: a client field, `custom.<key>` (an existing custom field), `new.<key>` (a
 * text custom field created when the import starts), or `ignore`.
 */
export const CLIENT_TARGETS = [
  'first_name',
  'last_name',
  'full_name',
  'email',
  'phone',
  'city',
  'country',
  'locale',
  'timezone',
  'source',
  'label',
  'external_id',
  'birthday',
  'tags',
] as const;
export type ClientTarget = (typeof CLIENT_TARGETS)[number];

/** Folded header: lower-case, accents and punctuation gone, single spaces. */
export function foldHeader(header: string): string {
  return header
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * Headers seen in English, Spanish and French sheets and in the exports of Google Contacts,
 * Outlook, Mailchimp, HubSpot and Brevo, folded. Order matters only for readability.
 */
const SYNONYMS: Record<ClientTarget, string[]> = {
  first_name: [
    'first name',
    'firstname',
    'first',
    'given name',
    'fname',
    'nombre',
    'nombre de pila',
    'prenom',
    'forename',
    'vorname',
  ],
  last_name: [
    'last name',
    'lastname',
    'surname',
    'family name',
    'lname',
    'apellidos',
    'apellido',
    'primer apellido',
    'nom',
    'nom de famille',
    'nachname',
  ],
  full_name: [
    'name',
    'full name',
    'fullname',
    'display name',
    'contact name',
    'contact',
    'nombre completo',
    'nom complet',
    'client',
    'cliente',
    'customer',
    'customer name',
  ],
  email: [
    'email',
    'e mail',
    'mail',
    'email address',
    'e mail address',
    'e mail 1 value',
    'email 1',
    'primary email',
    'correo',
    'correo electronico',
    'email principal',
    'courriel',
    'adresse e mail',
    'adresse email',
    'adresse mail',
    'mel',
  ],
  phone: [
    'phone',
    'phone number',
    'telephone',
    'tel',
    'mobile',
    'mobile phone',
    'mobile phone number',
    'mobile number',
    'cell',
    'cell phone',
    'cellphone',
    'phone 1 value',
    'primary phone',
    'business phone',
    'home phone',
    'sms',
    'whatsapp',
    'telefono',
    'telefono movil',
    'movil',
    'celular',
    'numero de telefono',
    'telephone portable',
    'portable',
    'numero de telephone',
    'tel portable',
    'mobile telephone',
  ],
  city: [
    'city',
    'town',
    'home city',
    'business city',
    'ciudad',
    'localidad',
    'poblacion',
    'municipio',
    'ville',
    'commune',
  ],
  country: ['country', 'country region', 'country code', 'home country region', 'pais', 'pays', 'code pays'],
  locale: ['language', 'locale', 'preferred language', 'idioma', 'langue'],
  timezone: ['timezone', 'time zone', 'zona horaria', 'fuseau horaire'],
  source: ['source', 'lead source', 'original source', 'origen', 'fuente', 'origine', 'canal'],
  label: ['label'],
  external_id: [
    'id',
    'external id',
    'customer id',
    'client id',
    'contact id',
    'record id',
    'member id',
    'ref',
    'reference',
    'referencia',
    'codigo',
    'codigo cliente',
    'identifiant',
    'id client',
    'numero client',
    'user id',
  ],
  birthday: [
    'birthday',
    'birth date',
    'birthdate',
    'date of birth',
    'dob',
    'fecha de nacimiento',
    'fecha nacimiento',
    'cumpleanos',
    'date de naissance',
    'anniversaire',
    'naissance',
  ],
  tags: [
    'tags',
    'tag',
    'labels',
    'group membership',
    'categories',
    'etiquetas',
    'etiqueta',
    'grupos',
    'groupes',
    'mots cles',
    'segments',
  ],
};

const BY_SYNONYM = new Map<string, ClientTarget>();
for (const [target, words] of Object.entries(SYNONYMS) as Array<[ClientTarget, string[]]>)
  for (const word of words) BY_SYNONYM.set(word, target);

/** A custom field key from a header: "Número de socio" → numero_de_socio. */
export function customKeyOf(header: string): string {
  const key = foldHeader(header).replace(/ /g, '_').slice(0, 63);
  return /^[a-z]/.test(key) ? key : `f_${key}`.slice(0, 63);
}

/** The same set of headers in any order is the same shape. */
export function headerShape(headers: string[]): string {
  const folded = headers.map(foldHeader).sort();
  return createHash('sha256').update(JSON.stringify(folded)).digest('hex').slice(0, 32);
}

export function proposeTarget(header: string, fields: CustomField[]): string {
  const folded = foldHeader(header);
  const field = fields.find((f) => foldHeader(f.key) === folded || foldHeader(f.label) === folded);
  if (field) return `custom.${field.key}`;
  const known = BY_SYNONYM.get(folded);
  if (known) return known;
  // "Phone 2 - Value", "E-mail 2 - Value", "Home Phone 2": same meaning, a second column of it.
  const numbered = folded.replace(/ \d+( value)?$/, '');
  if (
    numbered !== folded &&
    BY_SYNONYM.get(numbered) &&
    ['phone', 'email'].includes(BY_SYNONYM.get(numbered)!)
  )
    return BY_SYNONYM.get(numbered)!;
  return 'ignore';
}

/** A proposed mapping for every header; a field already taken by an earlier column is not proposed twice (except phone/email/tags). */
export function proposeMapping(headers: string[], fields: CustomField[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  const taken = new Set<string>();
  const repeatable = new Set(['phone', 'email', 'tags']);
  for (const header of headers) {
    let target = proposeTarget(header, fields);
    if (target !== 'ignore' && taken.has(target) && !repeatable.has(target)) target = 'ignore';
    taken.add(target);
    mapping[header] = target;
  }
  // Both a full name and first/last name columns: the split ones win.
  if (Object.values(mapping).includes('first_name') || Object.values(mapping).includes('last_name'))
    for (const [h, t] of Object.entries(mapping)) if (t === 'full_name') mapping[h] = 'ignore';
  return mapping;
}

export type DetectedType = 'empty' | 'email' | 'phone' | 'date' | 'number' | 'boolean' | 'text';

/** What the sample values of a column look like (most of the non-empty ones). */
export function detectType(values: unknown[]): DetectedType {
  const present = values.filter((v) => v !== null && v !== undefined && String(v).trim() !== '');
  if (!present.length) return 'empty';
  const share = (test: (v: unknown) => boolean) => present.filter(test).length / present.length;
  const str = (v: unknown) => String(v).trim();
  if (share((v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(str(v))) >= 0.6) return 'email';
  if (share((v) => v instanceof Date || /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$/.test(str(v))) >= 0.6)
    return 'date';
  if (share((v) => typeof v === 'boolean' || /^(true|false|yes|no|si|sí|oui|non)$/i.test(str(v))) >= 0.8)
    return 'boolean';
  if (share((v) => /^\+?[\d\s().-]{7,20}$/.test(str(v)) && str(v).replace(/\D/g, '').length >= 7) >= 0.6)
    return 'phone';
  if (share((v) => typeof v === 'number' || /^-?\d{1,3}([.,\s]?\d{3})*([.,]\d+)?$/.test(str(v))) >= 0.8)
    return 'number';
  return 'text';
}
