import type { Locale } from '../../platform/locale.ts';
import { escapeHtml } from '../templates/email-layout.ts';
import type { PageChannel } from './preferences.service.ts';

const TEXT = {
  en: {
    title: 'Your communication preferences',
    intro: (w: string) => `Choose how ${w} may contact you.`,
    channels: { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp' },
    on: 'On',
    save: 'Save my preferences',
    unsubscribeAll: 'Unsubscribe from everything',
    unsubscribeHint: 'You will not receive any marketing messages from us on any channel.',
    privacy: 'Your data',
    privacyHint: 'We answer within one month, as the GDPR requires.',
    export: 'Send me a copy of my data',
    erase: 'Erase my data',
    done: {
      saved: 'Your preferences are saved.',
      unsubscribed: 'You are unsubscribed from everything.',
      export_requested: 'We have your request for a copy of your data.',
      erasure_requested: 'We have your request to erase your data.',
      one_click: 'You are unsubscribed.',
    },
    notFound: 'This link is not valid any more.',
  },
  es: {
    title: 'Tus preferencias de comunicación',
    intro: (w: string) => `Elige cómo puede contactarte ${w}.`,
    channels: { email: 'Correo electrónico', sms: 'SMS', whatsapp: 'WhatsApp' },
    on: 'Activado',
    save: 'Guardar mis preferencias',
    unsubscribeAll: 'Darme de baja de todo',
    unsubscribeHint: 'No recibirás ningún mensaje comercial nuestro por ningún canal.',
    privacy: 'Tus datos',
    privacyHint: 'Respondemos en un plazo de un mes, como exige el RGPD.',
    export: 'Enviadme una copia de mis datos',
    erase: 'Borrar mis datos',
    done: {
      saved: 'Tus preferencias se han guardado.',
      unsubscribed: 'Te has dado de baja de todo.',
      export_requested: 'Hemos recibido tu solicitud de copia de tus datos.',
      erasure_requested: 'Hemos recibido tu solicitud de borrado de tus datos.',
      one_click: 'Te has dado de baja.',
    },
    notFound: 'Este enlace ya no es válido.',
  },
  fr: {
    title: 'Vos préférences de communication',
    intro: (w: string) => `Choisissez comment ${w} peut vous contacter.`,
    channels: { email: 'E-mail', sms: 'SMS', whatsapp: 'WhatsApp' },
    on: 'Activé',
    save: 'Enregistrer mes préférences',
    unsubscribeAll: 'Me désabonner de tout',
    unsubscribeHint: 'Vous ne recevrez plus aucun message commercial de notre part, sur aucun canal.',
    privacy: 'Vos données',
    privacyHint: 'Nous répondons sous un mois, comme l’exige le RGPD.',
    export: 'Envoyez-moi une copie de mes données',
    erase: 'Effacer mes données',
    done: {
      saved: 'Vos préférences sont enregistrées.',
      unsubscribed: 'Vous êtes désabonné(e) de tout.',
      export_requested: 'Nous avons bien reçu votre demande de copie de vos données.',
      erasure_requested: 'Nous avons bien reçu votre demande d’effacement de vos données.',
      one_click: 'Vous êtes désabonné(e).',
    },
    notFound: 'Ce lien n’est plus valide.',
  },
} as const;

export type PageNotice = keyof (typeof TEXT)['en']['done'];

function page(locale: Locale, title: string, colour: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
body { margin: 0; background: #f1f3f5; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #212529; }
main { max-width: 520px; margin: 32px auto; background: #fff; border-radius: 8px; border-top: 4px solid ${colour}; padding: 24px 28px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 4px; }
p { line-height: 1.5; }
.hint { color: #868e96; font-size: 14px; margin-top: 4px; }
.notice { background: #ebfbee; border: 1px solid #b2f2bb; color: #2b8a3e; border-radius: 6px; padding: 10px 14px; }
label.channel { display: flex; justify-content: space-between; align-items: center; padding: 12px 0; border-bottom: 1px solid #e9ecef; font-size: 16px; cursor: pointer; }
label.channel input { width: 22px; height: 22px; accent-color: ${colour}; }
button { font: inherit; border-radius: 6px; padding: 10px 16px; cursor: pointer; border: 1px solid ${colour}; }
button.primary { background: ${colour}; color: #fff; margin-top: 16px; }
button.secondary { background: #fff; color: ${colour}; margin: 8px 8px 0 0; }
button.danger { background: #fff; color: #c92a2a; border-color: #c92a2a; margin-top: 8px; }
button:focus-visible, input:focus-visible { outline: 3px solid #74c0fc; outline-offset: 2px; }
.brand { color: ${colour}; font-weight: bold; margin-bottom: 16px; }
@media (max-width: 560px) { main { margin: 0; border-radius: 0; } }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

export function preferencePage(input: {
  locale: Locale;
  workspaceName: string;
  logoUrl: string | null;
  brandColor: string;
  consent: Record<PageChannel, boolean>;
  action: string;
  notice: PageNotice | null;
}): string {
  const t = TEXT[input.locale];
  const brand = input.logoUrl
    ? `<div class="brand"><img src="${escapeHtml(input.logoUrl)}" alt="${escapeHtml(input.workspaceName)}" height="36"></div>`
    : `<div class="brand">${escapeHtml(input.workspaceName)}</div>`;
  const notice = input.notice ? `<p class="notice" role="status">${t.done[input.notice]}</p>` : '';
  const channels = (['email', 'sms', 'whatsapp'] as const)
    .map(
      (channel) =>
        `<label class="channel"><span>${t.channels[channel]}</span><input type="checkbox" name="${channel}" value="on" aria-label="${t.channels[channel]}: ${t.on}"${input.consent[channel] ? ' checked' : ''}></label>`,
    )
    .join('\n');
  const action = escapeHtml(input.action);
  const body = `${brand}
<h1>${t.title}</h1>
${notice}
<p>${escapeHtml(t.intro(input.workspaceName))}</p>
<form method="post" action="${action}">
<input type="hidden" name="action" value="save">
${channels}
<button class="primary" type="submit">${t.save}</button>
</form>
<form method="post" action="${action}">
<input type="hidden" name="action" value="unsubscribe_all">
<button class="danger" type="submit">${t.unsubscribeAll}</button>
<p class="hint">${t.unsubscribeHint}</p>
</form>
<h2>${t.privacy}</h2>
<p class="hint">${t.privacyHint}</p>
<form method="post" action="${action}">
<button class="secondary" type="submit" name="action" value="export">${t.export}</button>
<button class="secondary" type="submit" name="action" value="erase">${t.erase}</button>
</form>`;
  return page(input.locale, t.title, input.brandColor, body);
}

export function notFoundPage(locale: Locale): string {
  return page(locale, TEXT[locale].notFound, '#868e96', `<h1>${TEXT[locale].notFound}</h1>`);
}

export function oneClickText(locale: Locale): string {
  return TEXT[locale].done.one_click;
}
