import { CheckIcon, ColorSwatch, Group, Input, UnstyledButton } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { SWATCH_COLORS, type SwatchColor } from '../../../api/labels';

/** One of the palette colors labels and tags use, as a row of swatches (radio group for the keyboard). */
export function ColorChoice({
  value,
  onChange,
  label,
}: {
  value: SwatchColor;
  onChange: (color: SwatchColor) => void;
  label: string;
}) {
  const { t } = useTranslation();
  return (
    <Input.Wrapper label={label}>
      <Group gap={6} mt={4} role="radiogroup" aria-label={label}>
        {SWATCH_COLORS.map((color) => (
          <UnstyledButton
            key={color}
            role="radio"
            aria-checked={value === color}
            aria-label={t(`colors.${color}`)}
            onClick={() => onChange(color)}
            onKeyDown={(event) => {
              const index = SWATCH_COLORS.indexOf(color);
              if (event.key === 'ArrowRight' || event.key === 'ArrowDown') {
                event.preventDefault();
                onChange(SWATCH_COLORS[(index + 1) % SWATCH_COLORS.length]!);
              } else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') {
                event.preventDefault();
                onChange(SWATCH_COLORS[(index - 1 + SWATCH_COLORS.length) % SWATCH_COLORS.length]!);
              }
            }}
            tabIndex={value === color ? 0 : -1}
            style={{ borderRadius: '50%' }}
          >
            <ColorSwatch color={`var(--mantine-color-${color}-filled)`} size={26} style={{ color: '#fff' }}>
              {value === color ? <CheckIcon size={12} /> : null}
            </ColorSwatch>
          </UnstyledButton>
        ))}
      </Group>
    </Input.Wrapper>
  );
}

export function isSwatch(color: string): color is SwatchColor {
  return (SWATCH_COLORS as readonly string[]).includes(color);
}
