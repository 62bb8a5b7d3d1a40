import type { ErrorDetail } from '../../platform/errors.ts';
import type { Locale } from '../../platform/locale.ts';
import { escapeHtml } from '../templates/email-layout.ts';
import type { SignupFormRow } from './forms.repo.ts';

/** The hidden field people never see and bots fill in. */
export const HONEYPOT_FIELD = 'website';

const TEXT = {
  en: {
    fields: {
      first_name: 'First name',
      last_name: 'Last name',
      email: 'Email',
      phone: 'Phone',
      city: 'City',
    },
    required: 'required',
    submit: 'Sign up',
    thanks: 'Thank you!',
    checkInbox: 'We have sent you an email: open the link in it to confirm your subscription.',
    done: 'You are signed up.',
    confirmed: 'Your email subscription is confirmed. Thank you!',
    invalidLink: 'This confirmation link is not valid.',
    tooMany: 'Too many sign-ups from your connection. Please try again in a few minutes.',
    notFound: 'This form is not available.',
    problems: { required: 'This field is required.', email: 'Enter a valid email address.' },
    mailSubject: (w: string) => `Confirm your subscription to ${w}`,
    mailBody: (w: string) => `Please confirm that you want to receive emails from ${w}:`,
    mailButton: 'Confirm my subscription',
    mailIgnore: 'If you did not sign up, ignore this email: nothing will be sent to you.',
  },
  es: {
    fields: {
      first_name: 'Nombre',
      last_name: 'Apellidos',
      email: 'Correo electrónico',
      phone: 'Teléfono',
      city: 'Ciudad',
    },
    required: 'obligatorio',
    submit: 'Suscribirme',
    thanks: '¡Gracias!',
    checkInbox: 'Te hemos enviado un correo: abre el enlace que contiene para confirmar tu suscripción.',
    done: 'Te has suscrito.',
    confirmed: 'Tu suscripción por correo está confirmada. ¡Gracias!',
    invalidLink: 'Este enlace de confirmación no es válido.',
    tooMany: 'Demasiadas suscripciones desde tu conexión. Inténtalo de nuevo en unos minutos.',
    notFound: 'Este formulario no está disponible.',
    problems: { required: 'Este campo es obligatorio.', email: 'Escribe un correo electrónico válido.' },
    mailSubject: (w: string) => `Confirma tu suscripción a ${w}`,
    mailBody: (w: string) => `Confirma que quieres recibir correos de ${w}:`,
    mailButton: 'Confirmar mi suscripción',
    mailIgnore: 'Si no te has suscrito, ignora este correo: no te enviaremos nada.',
  },
  fr: {
    fields: { first_name: 'Prénom', last_name: 'Nom', email: 'E-mail', phone: 'Téléphone', city: 'Ville' },
    required: 'obligatoire',
    submit: 'M’inscrire',
    thanks: 'Merci !',
    checkInbox:
      'Nous vous avons envoyé un e-mail : ouvrez le lien qu’il contient pour confirmer votre inscription.',
    done: 'Vous êtes inscrit(e).',
    confirmed: 'Votre inscription par e-mail est confirmée. Merci !',
    invalidLink: 'Ce lien de confirmation n’est pas valide.',
    tooMany: 'Trop d’inscriptions depuis votre connexion. Réessayez dans quelques minutes.',
    notFound: 'Ce formulaire n’est pas disponible.',
    problems: { required: 'Ce champ est obligatoire.', email: 'Saisissez une adresse e-mail valide.' },
    mailSubject: (w: string) => `Confirmez votre inscription à ${w}`,
    mailBody: (w: string) => `Confirmez que vous souhaitez recevoir des e-mails de ${w} :`,
    mailButton: 'Confirmer mon inscription',
    mailIgnore: 'Si vous ne vous êtes pas inscrit(e), ignorez cet e-mail : rien ne vous sera envoyé.',
  },
} as const;

const INPUT_TYPES: Record<string, string> = { email: 'email', phone: 'tel' };
const AUTOCOMPLETE: Record<string, string> = {
  first_name: 'given-name',
  last_name: 'family-name',
  email: 'email',
  phone: 'tel',
  city: 'address-level2',
};

function shell(locale: Locale, title: string, body: string, embedded: boolean): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { margin: 0; background: ${embedded ? 'transparent' : '#f1f3f5'}; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #212529; }
main { max-width: 460px; margin: ${embedded ? '0' : '32px auto'}; background: #fff; border-radius: 8px; padding: 24px 28px; }
h1 { font-size: 22px; margin: 0 0 16px; }
label { display: block; font-size: 14px; font-weight: 600; margin: 14px 0 4px; }
input[type=text], input[type=email], input[type=tel] { width: 100%; box-sizing: border-box; font: inherit; padding: 9px 11px; border: 1px solid #ced4da; border-radius: 6px; }
input[aria-invalid=true] { border-color: #e03131; }
.error { color: #e03131; font-size: 13px; margin-top: 4px; }
.consent { display: flex; gap: 10px; align-items: flex-start; font-weight: 400; margin-top: 14px; }
.consent input { margin-top: 3px; width: 18px; height: 18px; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
button { font: inherit; margin-top: 20px; width: 100%; padding: 11px; border: 0; border-radius: 6px; background: #1c7ed6; color: #fff; cursor: pointer; }
button:focus-visible, input:focus-visible { outline: 3px solid #74c0fc; outline-offset: 2px; }
.notice { background: #ebfbee; border: 1px solid #b2f2bb; color: #2b8a3e; border-radius: 6px; padding: 12px 14px; }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

export function formPage(
  form: SignupFormRow,
  locale: Locale,
  options: {
    values?: Record<string, string>;
    problems?: ErrorDetail[];
    embedded: boolean;
    brandColor: string;
  },
): string {
  const t = TEXT[locale];
  const errorOf = (key: string) => options.problems?.find((p) => p.path === `/${key}`);
  const fields = form.fields
    .map((field) => {
      const id = `f-${field.key}`;
      const problem = errorOf(field.key);
      const message = problem
        ? problem.message === 'required'
          ? t.problems.required
          : field.key === 'email'
            ? t.problems.email
            : problem.message
        : null;
      return `<label for="${id}">${t.fields[field.key]}${field.required ? ` <span aria-hidden="true">*</span>` : ''}</label>
<input id="${id}" name="${field.key}" type="${INPUT_TYPES[field.key] ?? 'text'}" autocomplete="${AUTOCOMPLETE[field.key]}" value="${escapeHtml(options.values?.[field.key] ?? '')}"${field.required ? ' required' : ''}${message ? ` aria-invalid="true" aria-describedby="${id}-error" oninput="this.removeAttribute('aria-invalid');document.getElementById('${id}-error')?.remove()"` : ''}>
${message ? `<div class="error" id="${id}-error">${escapeHtml(message)}</div>` : ''}`;
    })
    .join('\n');
  const consents = form.consents
    .map(
      (c) =>
        `<label class="consent"><input type="checkbox" name="consent_${c.channel}" value="on"><span>${escapeHtml(c.text)}</span></label>`,
    )
    .join('\n');
  const body = `<h1>${escapeHtml(form.title)}</h1>
<form method="post" action="/f/${form.id}${options.embedded ? '?embed=1' : ''}" novalidate>
${fields}
${consents}
<div class="hp" aria-hidden="true"><label for="f-hp">Website</label><input id="f-hp" name="${HONEYPOT_FIELD}" type="text" tabindex="-1" autocomplete="off"></div>
<button type="submit" style="background:${options.brandColor}">${t.submit}</button>
</form>`;
  return shell(locale, form.title, body, options.embedded);
}

export function messagePage(
  locale: Locale,
  kind: 'checkInbox' | 'done' | 'confirmed' | 'invalidLink' | 'tooMany' | 'notFound',
  embedded = false,
): string {
  const t = TEXT[locale];
  const heading = kind === 'checkInbox' || kind === 'done' || kind === 'confirmed' ? t.thanks : t[kind];
  const text = kind === 'checkInbox' || kind === 'done' || kind === 'confirmed' ? t[kind] : '';
  return shell(
    locale,
    heading,
    `<h1>${escapeHtml(heading)}</h1>${text ? `<p class="notice" role="status">${escapeHtml(text)}</p>` : ''}`,
    embedded,
  );
}

export function confirmPage(locale: Locale, workspaceName: string, action: string): string {
  const t = TEXT[locale];
  return shell(
    locale,
    t.mailButton,
    `<h1>${escapeHtml(t.mailSubject(workspaceName))}</h1>
<p>${escapeHtml(t.mailBody(workspaceName))}</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">${t.mailButton}</button></form>`,
    false,
  );
}

export function confirmationEmail(locale: Locale, input: { workspaceName: string; url: string }) {
  const t = TEXT[locale];
  return {
    subject: t.mailSubject(input.workspaceName),
    text: `${t.mailBody(input.workspaceName)}\n\n${input.url}\n\n${t.mailIgnore}\n`,
    html: `<p>${escapeHtml(t.mailBody(input.workspaceName))}</p><p><a href="${escapeHtml(input.url)}">${t.mailButton}</a></p><p style="color:#868e96;font-size:12px">${escapeHtml(t.mailIgnore)}</p>`,
  };
}
