import { insertClientsBulk } from '../modules/clients/clients.service.ts';
import { createCustomField } from '../modules/custom-fields/custom-fields.service.ts';
import { createLocation } from '../modules/locations/locations.service.ts';
import { demoPeople } from './people.ts';
import type { Seeder } from './seed-demo.ts';

const TAGS = ['VIP', 'Kayak', 'Paddle surf', 'Bicicleta', 'Newsletter', 'Referido', 'Empresa', 'Familia'];
const SOURCES = ['Walk-in', 'Instagram', 'Google', 'Referral', 'Website', 'Booking.com'];
const LABELS = ['prospect', 'customer', 'customer', 'customer', 'affiliate'];

/** Locations, custom fields and clients: the people every other demo seeder attaches data to. */
export const clientsSeeder: Seeder = {
  name: 'clients',
  async run(seed) {
    const { db, ctx, progress } = seed;
    const locations: { id: string }[] = [];
    for (const [name, timezone] of [
      ['Valencia — Malvarrosa', 'Europe/Madrid'],
      ['Madrid — Retiro', 'Europe/Madrid'],
      ['Biarritz', 'Europe/Paris'],
    ] as const) {
      locations.push(await createLocation(db, ctx, { name, timezone }));
    }
    await createCustomField(db, ctx, {
      key: 'shoe_size',
      label: 'Shoe size',
      type: 'number',
      section: 'Equipment',
      position: 1,
    });
    await createCustomField(db, ctx, {
      key: 'skill_level',
      label: 'Skill level',
      type: 'select',
      options: ['beginner', 'intermediate', 'advanced'],
      section: 'Equipment',
      position: 2,
    });
    await createCustomField(db, ctx, {
      key: 'wetsuit',
      label: 'Owns a wetsuit',
      type: 'boolean',
      section: 'Equipment',
      position: 3,
    });
    await createCustomField(db, ctx, {
      key: 'medical_notes',
      label: 'Medical notes',
      type: 'text',
      section: 'Health',
      visible_min_role: 'admin',
      editable_min_role: 'admin',
    });
    const random = demoPeople.rng(20261122);
    const rows = Array.from({ length: seed.clients }, (_, i) => {
      const person = demoPeople.person(random, i);
      const hasPhone = random() < 0.9;
      const created = new Date(Date.now() - random() * 730 * 86_400_000);
      return {
        firstName: person.firstName,
        lastName: person.lastName,
        email: random() < 0.85 ? person.email : null,
        phone: hasPhone ? person.phone.replace(/\s/g, '') : null,
        city: person.city,
        country: person.country,
        locale: person.locale,
        source: demoPeople.pick(random, SOURCES),
        label: demoPeople.pick(random, LABELS),
        externalId: random() < 0.7 ? `BK-${100000 + i}` : null,
        locationId: demoPeople.pick(random, locations).id,
        birthday:
          random() < 0.6
            ? new Date(
                Date.UTC(
                  1950 + Math.floor(random() * 55),
                  Math.floor(random() * 12),
                  1 + Math.floor(random() * 28),
                ),
              )
                .toISOString()
                .slice(0, 10)
            : null,
        custom: {
          shoe_size: 36 + Math.floor(random() * 10),
          skill_level: demoPeople.pick(random, ['beginner', 'intermediate', 'advanced']),
          ...(random() < 0.3 ? { wetsuit: random() < 0.5 } : {}),
        },
        tags: TAGS.filter(() => random() < 0.15),
        createdAt: created,
        updatedAt: created,
      };
    });
    seed.clientIds = await insertClientsBulk(db, ctx.workspaceId, rows);
    seed.locationIds = locations.map((l) => l.id);
    seed.summary.clients = seed.clientIds.length;
    progress(`clients: ${seed.clientIds.length} with tags, custom fields and ${locations.length} locations`);
  },
};
