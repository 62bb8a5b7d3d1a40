import type { Database } from '../../platform/db/db.ts';
import type { SystemMailer } from '../../platform/mail.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { NOTIFICATION_EMAIL_TASK, sendNotificationEmail } from './notifications.service.ts';

export function notificationJobs(db: Database, mailer: SystemMailer): JobDefinitions {
  return {
    tasks: {
      [NOTIFICATION_EMAIL_TASK]: async (payload, helpers) => {
        const id = (payload as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') return;
        await sendNotificationEmail(db, mailer, id, helpers.job.max_attempts - helpers.job.attempts);
      },
    },
    cron: [],
  };
}
