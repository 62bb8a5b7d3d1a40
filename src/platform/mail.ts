import nodemailer from 'nodemailer';

export interface SystemMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * The product's own mail to team members (segment alerts, invitations), through one SMTP relay
 * configured server-wide (SMTP_URL). Client-facing messages never go through here: they use the
 * channels each workspace configures, with consent, ledger and unsubscribe.
 */
export interface SystemMailer {
  readonly configured: boolean;
  send(mail: SystemMail): Promise<{ messageId: string }>;
  close(): void;
}

export class MailNotConfiguredError extends Error {
  constructor() {
    super('SMTP_URL is not set: system email is off');
  }
}

export function createSystemMailer(options: { smtpUrl: string | null; from: string }): SystemMailer {
  if (!options.smtpUrl) {
    return {
      configured: false,
      send: async () => {
        throw new MailNotConfiguredError();
      },
      close: () => {},
    };
  }
  // Pooled: an alert to ten members reuses one connection; nodemailer reconnects after idle drops.
  const transport = nodemailer.createTransport(`${options.smtpUrl}?pool=true&maxConnections=2`);
  return {
    configured: true,
    async send(mail) {
      const info = await transport.sendMail({ from: options.from, ...mail });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
