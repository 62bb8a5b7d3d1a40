import { LANGUAGES } from '../i18n/languages';

/**
 * ISO 3166-1 alpha-2 codes of places with a telephone numbering plan (the server's libphonenumber list);
 * names come from the browser (Intl.DisplayNames) in the UI language.
 */
const COUNTRY_CODES =
  `AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ
FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE
RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW AC TA XK`.split(/\s+/);

export interface Option {
  value: string;
  label: string;
}

function displayName(names: Intl.DisplayNames | null, code: string): string {
  try {
    return names?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function countryOptions(locale: string): Option[] {
  const names =
    typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([locale], { type: 'region' }) : null;
  return COUNTRY_CODES.map((code) => ({ value: code, label: `${displayName(names, code)} (${code})` })).sort(
    (a, b) => a.label.localeCompare(b.label, locale),
  );
}

/** Languages a workspace can default to for client-facing messages: the ones Clientela speaks. */
export function languageOptions(locale: string): Option[] {
  const names =
    typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([locale], { type: 'language' }) : null;
  return LANGUAGES.map((code) => {
    const name = displayName(names, code);
    return { value: code, label: name.charAt(0).toLocaleUpperCase(locale) + name.slice(1) };
  });
}
