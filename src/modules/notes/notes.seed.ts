import { findUserByEmail } from '../../platform/auth/users.ts';
import { demoPeople } from '../../seed/people.ts';
import type { Seeder } from '../../seed/seed-demo.ts';
import { getClientRow } from '../clients/clients.service.ts';
import { insertNotes } from './notes.repo.ts';
import type { NoteType } from './notes.service.ts';

/** Beyond this many clients the demo keeps notes to the first ones (one row read per client). */
const MAX_CLIENTS = 20_000;

const NOTES: { type: NoteType; body: string; pinned?: boolean }[] = [
  { type: 'info', body: 'Prefiere clases por la mañana, antes de las 11.' },
  { type: 'info', body: 'Viene siempre con su pareja; reservar dos tablas juntas.' },
  { type: 'info', body: 'Asked about the family pack for the summer holidays.' },
  { type: 'info', body: 'Préfère être contacté(e) par WhatsApp plutôt que par téléphone.' },
  { type: 'info', body: 'Talla de neopreno M, botines 42.' },
  { type: 'warning', body: 'Alergia al látex: usar neopreno sin látex.', pinned: true },
  { type: 'warning', body: 'Lesión de hombro en 2025 — evitar sesiones de más de 1 h.', pinned: true },
  { type: 'warning', body: 'Paid late twice; ask for payment upfront.' },
  { type: 'warning', body: 'No sabe nadar bien: siempre con chaleco y monitor cerca.', pinned: true },
  { type: 'action', body: 'Llamar para renovar el bono de 10 clases.' },
  { type: 'action', body: 'Send the invoice for the company team-building day.' },
  { type: 'action', body: 'Rappeler pour confirmer la réservation de juillet.' },
  { type: 'action', body: 'Ofrecer descuento de cumpleaños el mes que viene.' },
];

const AUTHORS = ['Lucía Fernández', 'Sara Navarro', 'Hugo Martin'];

/** Notes by the demo team on about a quarter of the clients: pinned warnings, to-dos, preferences. */
export const notesSeeder: Seeder = {
  name: 'notes',
  async run(seed) {
    const { db, ctx, progress } = seed;
    const random = demoPeople.rng(4242);
    const authors = [];
    for (const name of AUTHORS) {
      const user = await findUserByEmail(db, `${demoPeople.slug(name)}@demo.clientela.local`);
      if (user) authors.push({ userId: user.id, label: user.email });
    }
    if (!authors.length) authors.push({ userId: null as string | null, label: 'seed-demo' });
    const rows = [];
    for (const clientId of seed.clientIds.slice(0, MAX_CLIENTS)) {
      if (random() > 0.25) continue;
      const client = await getClientRow(db, ctx.workspaceId, clientId);
      const count = 1 + Math.floor(random() * 3);
      for (let i = 0; i < count; i++) {
        const note = demoPeople.pick(random, NOTES);
        const author = demoPeople.pick(random, authors);
        const span = Date.now() - client.createdAt.getTime();
        const at = new Date(client.createdAt.getTime() + random() * span);
        rows.push({
          workspaceId: ctx.workspaceId,
          clientId,
          authorUserId: author.userId,
          authorLabel: author.label,
          body: note.body,
          type: note.type,
          visibility: random() < 0.8 ? 'internal' : 'shared',
          pinned: note.pinned ?? false,
          createdAt: at,
          updatedAt: at,
        });
      }
    }
    await insertNotes(db, rows);
    seed.summary.notes = rows.length;
    progress(`notes: ${rows.length}`);
  },
};
