import type { Option } from './countries';

function supportedTimeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

function offsetOf(zone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      timeZoneName: 'longOffset',
    }).formatToParts(new Date());
    return parts.find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  } catch {
    return 'GMT';
  }
}

let cache: Option[] | null = null;

/** Every IANA time zone the browser knows, labelled with its current UTC offset. */
export function timeZoneOptions(current?: string | null): Option[] {
  if (!cache) {
    cache = supportedTimeZones().map((zone) => {
      const offset = offsetOf(zone).replace('GMT', 'UTC');
      return {
        value: zone,
        label: `${zone.replaceAll('_', ' ')} (${offset === 'UTC' ? 'UTC±00:00' : offset})`,
      };
    });
  }
  if (current && !cache.some((option) => option.value === current)) {
    return [{ value: current, label: current }, ...cache];
  }
  return cache;
}
