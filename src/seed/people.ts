/**
 * Realistic Spanish, French and English people for demos and benchmarks: names, accents and all,
 * with phone numbers in each country's mobile format and plausible email addresses. Deterministic
 * for a given seed so benchmarks are repeatable.
 */
export const DEMO_PASSWORD = 'demo-password-2026';

const FIRST = {
  es: [
    'Lucía',
    'María',
    'Carmen',
    'Sofía',
    'Paula',
    'Elena',
    'Alba',
    'Martina',
    'Hugo',
    'Mateo',
    'Pablo',
    'Álvaro',
    'Javier',
    'Daniel',
    'Adrián',
    'Sergio',
    'Iñaki',
    'Nerea',
    'Begoña',
    'Jesús',
  ],
  fr: [
    'Camille',
    'Léa',
    'Chloé',
    'Manon',
    'Inès',
    'Zoé',
    'Élodie',
    'Anaïs',
    'Lucas',
    'Louis',
    'Gabriel',
    'Théo',
    'Hugo',
    'Raphaël',
    'Arthur',
    'Jérôme',
    'François',
    'Noémie',
    'Gaëlle',
    'Loïc',
  ],
  en: [
    'Olivia',
    'Amelia',
    'Isla',
    'Ava',
    'Emily',
    'Grace',
    'Chloe',
    'Ella',
    'Oliver',
    'George',
    'Harry',
    'Noah',
    'Jack',
    'Leo',
    'Arthur',
    'Oscar',
    'James',
    'Siobhan',
    'Niamh',
    'Rhys',
  ],
};
const LAST = {
  es: [
    'García',
    'Fernández',
    'González',
    'Rodríguez',
    'López',
    'Martínez',
    'Sánchez',
    'Pérez',
    'Gómez',
    'Martín',
    'Jiménez',
    'Ruiz',
    'Hernández',
    'Díaz',
    'Moreno',
    'Muñoz',
    'Álvarez',
    'Romero',
    'Navarro',
    'Ibáñez',
  ],
  fr: [
    'Martin',
    'Bernard',
    'Dubois',
    'Thomas',
    'Robert',
    'Richard',
    'Petit',
    'Durand',
    'Leroy',
    'Moreau',
    'Simon',
    'Laurent',
    'Lefèvre',
    'Michel',
    'Garnier',
    'Faure',
    'Rousseau',
    'Mercier',
    'Bonnet',
    'Gauthier',
  ],
  en: [
    'Smith',
    'Jones',
    'Taylor',
    'Brown',
    'Williams',
    'Wilson',
    'Johnson',
    'Davies',
    'Patel',
    'Wright',
    'Walker',
    'Evans',
    'Thompson',
    "O'Brien",
    'Roberts',
    'Green',
    'Hall',
    'Wood',
    'Clarke',
    'Hughes',
  ],
};
const CITIES = {
  es: [
    'Madrid',
    'Valencia',
    'Barcelona',
    'Sevilla',
    'Bilbao',
    'Málaga',
    'Zaragoza',
    'Alicante',
    'Granada',
    'A Coruña',
  ],
  fr: [
    'Paris',
    'Lyon',
    'Marseille',
    'Toulouse',
    'Bordeaux',
    'Nantes',
    'Lille',
    'Nice',
    'Montpellier',
    'Rennes',
  ],
  en: [
    'London',
    'Manchester',
    'Bristol',
    'Leeds',
    'Edinburgh',
    'Liverpool',
    'Cardiff',
    'Brighton',
    'Oxford',
    'York',
  ],
};
const COUNTRY = { es: 'ES', fr: 'FR', en: 'GB' } as const;
const DOMAINS = [
  'gmail.com',
  'hotmail.com',
  'yahoo.es',
  'outlook.fr',
  'icloud.com',
  'orange.fr',
  'telefonica.net',
  'btinternet.com',
];

export type Language = keyof typeof FIRST;

/** mulberry32: tiny, fast, good enough for demo data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.|\.$/g, '');
}

function mobile(random: () => number, language: Language): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  if (language === 'es') return `+34 6${digits(2)} ${digits(3)} ${digits(3)}`;
  if (language === 'fr') return `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
  return `+44 7${digits(3)} ${digits(6)}`;
}

export interface DemoPerson {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  city: string;
  country: string;
  locale: Language;
}

export function person(random: () => number, index: number): DemoPerson {
  const roll = random();
  const locale: Language = roll < 0.6 ? 'es' : roll < 0.85 ? 'fr' : 'en';
  const firstName = pick(random, FIRST[locale]);
  const lastName =
    locale === 'es' ? `${pick(random, LAST.es)} ${pick(random, LAST.es)}` : pick(random, LAST[locale]);
  const email = `${slug(firstName)}.${slug(lastName)}${index}@${pick(random, DOMAINS)}`;
  return {
    firstName,
    lastName,
    email,
    phone: mobile(random, locale),
    city: pick(random, CITIES[locale]),
    country: COUNTRY[locale],
    locale,
  };
}

export const demoPeople = { slug, person, rng, pick };
