/**
 * Word lists for the benchmark data generator, most frequent first (the generator picks with a
 * Zipf-like skew, so "García", "María" or "Martin" come up far more often than the tail, as in a
 * real client list). Accents, apostrophes and ñ included on purpose: search must fold them.
 */

export type Lang = 'es' | 'fr' | 'en';
export const LANGS: readonly Lang[] = ['es', 'fr', 'en'];

export const FIRST_NAMES: Record<Lang, readonly string[]> = {
  es: [
    'María', 'José', 'Antonio', 'Manuel', 'Carmen', 'Francisco', 'David', 'Juan', 'Javier', 'Ana',
    'Laura', 'Daniel', 'Carlos', 'Isabel', 'Jesús', 'Alejandro', 'Miguel', 'Pilar', 'Lucía', 'Rafael',
    'Pedro', 'Josefa', 'Ángel', 'Pablo', 'Sergio', 'Marta', 'Fernando', 'Elena', 'Jorge', 'Raquel',
    'Luis', 'Cristina', 'Alberto', 'Paula', 'Álvaro', 'Sara', 'Adrián', 'Andrea', 'Diego', 'Sofía',
    'Rubén', 'Nuria', 'Iñaki', 'Begoña', 'Nerea', 'Martina', 'Hugo', 'Mateo', 'Álex', 'Inés',
    'Ainhoa', 'Ramón', 'Joaquín', 'Óscar', 'Íñigo', 'Verónica', 'Mónica', 'Rocío', 'Mercedes', 'Dolores',
  ],
  fr: [
    'Marie', 'Jean', 'Pierre', 'Michel', 'Philippe', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Françoise',
    'Nicolas', 'Julien', 'Camille', 'Léa', 'Chloé', 'Manon', 'Inès', 'Zoé', 'Élodie', 'Anaïs',
    'Lucas', 'Louis', 'Gabriel', 'Théo', 'Hugo', 'Raphaël', 'Arthur', 'Jérôme', 'François', 'Noémie',
    'Gaëlle', 'Loïc', 'Céline', 'Stéphane', 'Sébastien', 'Hélène', 'Amélie', 'Benoît', 'Frédéric', 'Clément',
    'Maël', 'Léo', 'Emma', 'Jade', 'Océane', 'Mathéo', 'Gaël', 'Aurélie', 'Valérie', 'Thérèse',
  ],
  en: [
    'Oliver', 'George', 'Harry', 'Jack', 'Olivia', 'Amelia', 'Noah', 'Leo', 'Isla', 'Arthur',
    'Ava', 'Emily', 'Oscar', 'James', 'Grace', 'Charlie', 'Thomas', 'William', 'Chloe', 'Ella',
    'Sophie', 'Lily', 'Mia', 'Freya', 'Mohammed', 'Aisha', 'Priya', 'Rhys', 'Dylan', 'Sean',
    'Siobhan', 'Niamh', 'Zoë', 'Renée', 'Siân', 'Róisín', 'Seán', 'Ciarán', 'Chloë', 'Dáire',
  ],
};

export const LAST_NAMES: Record<Lang, readonly string[]> = {
  es: [
    'García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín',
    'Jiménez', 'Hernández', 'Ruiz', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Gutiérrez', 'Alonso',
    'Navarro', 'Torres', 'Domínguez', 'Ramos', 'Vázquez', 'Ramírez', 'Gil', 'Serrano', 'Morales', 'Molina',
    'Blanco', 'Suárez', 'Castro', 'Ortega', 'Delgado', 'Ortiz', 'Marín', 'Rubio', 'Núñez', 'Medina',
    'Sanz', 'Castillo', 'Iglesias', 'Cortés', 'Garrido', 'Santos', 'Guerrero', 'Lozano', 'Cano', 'Prieto',
    'Méndez', 'Cruz', 'Calvo', 'Gallego', 'Vidal', 'León', 'Márquez', 'Herrera', 'Peña', 'Flores',
    'Cabrera', 'Campos', 'Vega', 'Fuentes', 'Carrasco', 'Díez', 'Caballero', 'Reyes', 'Nieto', 'Aguilar',
    'Pascual', 'Santana', 'Herrero', 'Montero', 'Lorenzo', 'Hidalgo', 'Giménez', 'Ibáñez', 'Ferrer', 'Durán',
    'Santiago', 'Benítez', 'Mora', 'Vicente', 'Vargas', 'Arias', 'Carmona', 'Crespo', 'Román', 'Pastor',
    'Soto', 'Sáez', 'Velasco', 'Moya', 'Soler', 'Parra', 'Esteban', 'Bravo', 'Gallardo', 'Rojas',
  ],
  fr: [
    'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
    'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier',
    'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez',
    'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry', 'Roussel', 'Nicolas',
    'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez', 'Fontaine', 'Chevalier', 'Robin',
    'Masson', 'Sanchez', 'Gérard', 'Nguyen', 'Boyer', 'Denis', 'Lemaire', 'Duval', 'Joly', 'Gautier',
    'Roger', 'Roche', 'Roy', 'Noël', 'Meyer', 'Lucas', 'Meunier', 'Jean', 'Pérez', 'Marchand',
  ],
  en: [
    'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson',
    'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall',
    'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill',
    'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen',
    'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths',
    'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy',
    'Khan', 'Singh', 'Begum', 'Ali', 'Hussain', "O'Brien", "O'Connor", 'MacDonald', 'Ó Súilleabháin', 'Nić Giolla',
  ],
};

export const CITIES: Record<Lang, readonly string[]> = {
  es: [
    'Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Zaragoza', 'Málaga', 'Bilbao', 'Alicante', 'Córdoba', 'Valladolid',
    'Vigo', 'Gijón', 'A Coruña', 'Granada', 'Palma', 'Las Palmas de Gran Canaria', 'San Sebastián', 'Cádiz', 'Castellón de la Plana', 'Logroño',
  ],
  fr: [
    'Paris', 'Marseille', 'Lyon', 'Toulouse', 'Nice', 'Nantes', 'Montpellier', 'Strasbourg', 'Bordeaux', 'Lille',
    'Rennes', 'Reims', 'Saint-Étienne', 'Le Havre', 'Biarritz', 'Annecy', 'La Rochelle', 'Besançon', 'Orléans', 'Perpignan',
  ],
  en: [
    'London', 'Manchester', 'Birmingham', 'Bristol', 'Leeds', 'Edinburgh', 'Glasgow', 'Liverpool', 'Cardiff', 'Brighton',
    'Oxford', 'York', 'Cambridge', 'Belfast', 'Newcastle upon Tyne',
  ],
};

/** Repeated entries weight the pick (gmail is everyone's). */
export const EMAIL_DOMAINS: Record<Lang, readonly string[]> = {
  es: ['gmail.com', 'gmail.com', 'gmail.com', 'hotmail.com', 'hotmail.com', 'yahoo.es', 'outlook.es', 'icloud.com', 'telefonica.net'],
  fr: ['gmail.com', 'gmail.com', 'orange.fr', 'orange.fr', 'free.fr', 'laposte.net', 'hotmail.fr', 'sfr.fr', 'icloud.com'],
  en: ['gmail.com', 'gmail.com', 'outlook.com', 'hotmail.co.uk', 'btinternet.com', 'yahoo.co.uk', 'icloud.com', 'sky.com'],
};

export const COUNTRY: Record<Lang, string> = { es: 'ES', fr: 'FR', en: 'GB' };
export const TIMEZONE: Record<Lang, string> = { es: 'Europe/Madrid', fr: 'Europe/Paris', en: 'Europe/London' };
export const CURRENCY: Record<Lang, string> = { es: 'EUR', fr: 'EUR', en: 'GBP' };

export const SOURCES = [
  'Walk-in', 'Walk-in', 'Google', 'Google', 'Instagram', 'Website', 'Website', 'Referral', 'Booking.com', 'Facebook',
  'Import', 'Import', 'TripAdvisor', 'Partner hotel',
] as const;

/** Ten tags; membership probability falls off as 0.35 / rank (Zipf-ish). */
export const TAGS = [
  'Newsletter', 'VIP', 'Kayak', 'Paddle surf', 'Familia', 'Bicicleta', 'Empresa', 'Referido', 'Cumpleaños', 'Grupo escolar',
] as const;

export const LOCATIONS = [
  { name: 'Valencia — Malvarrosa', timezone: 'Europe/Madrid' },
  { name: 'Madrid — Retiro', timezone: 'Europe/Madrid' },
  { name: 'Málaga — La Misericordia', timezone: 'Europe/Madrid' },
  { name: 'Biarritz — Côte des Basques', timezone: 'Europe/Paris' },
  { name: 'Brighton Marina', timezone: 'Europe/London' },
] as const;

export const EVENT_CATEGORIES = ['kayak', 'paddle_surf', 'bike', 'surf_lesson', 'sailing', 'snorkel', 'boat_trip', 'yoga'] as const;
export const BOOKING_CHANNELS = ['web', 'web', 'phone', 'walk_in', 'partner', 'whatsapp'] as const;
export const PAYMENT_METHODS = ['card', 'card', 'card', 'cash', 'bizum', 'transfer', 'voucher'] as const;
export const SUPPORT_TOPICS = ['refund', 'reschedule', 'equipment', 'invoice', 'complaint', 'question'] as const;
export const SKILL_LEVELS = ['beginner', 'intermediate', 'advanced', 'expert'] as const;

/** ASCII slug of a name, the way people write it in an email address ("Ibáñez" → "ibanez"). */
export function emailSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}
