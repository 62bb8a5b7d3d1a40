import { Anchor, Card, Group, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import {
  type Icon,
  IconArrowRight,
  IconBook2,
  IconExternalLink,
  IconFilter,
  IconSend,
  IconUserPlus,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMe } from '../../api/me';
import { PageHeader } from '../../ui/PageHeader';
import { RoleBadge } from '../../ui/RoleBadge';
import { HomeDashboard } from './HomeDashboard';

type StepKey = 'clients' | 'segments' | 'campaigns' | 'api';

interface Step {
  key: StepKey;
  icon: Icon;
  to: string;
  external?: boolean;
}

const STEPS: Step[] = [
  { key: 'clients', icon: IconUserPlus, to: '/clients' },
  { key: 'segments', icon: IconFilter, to: '/segments' },
  { key: 'campaigns', icon: IconSend, to: '/campaigns' },
  { key: 'api', icon: IconBook2, to: '/docs', external: true },
];

function StepCard({ step }: { step: Step }) {
  const { t } = useTranslation();
  const label = (
    <Group gap={4} component="span" wrap="nowrap">
      {t(`home.steps.${step.key}.link`)}
      {step.external ? <IconExternalLink size={14} aria-hidden /> : <IconArrowRight size={14} aria-hidden />}
    </Group>
  );
  return (
    <Card withBorder radius="md" padding="lg">
      <Stack gap="sm" h="100%">
        <ThemeIcon variant="light" size={44} radius="md" aria-hidden>
          <step.icon size={24} stroke={1.6} />
        </ThemeIcon>
        <Title order={2} size="h4">
          {t(`home.steps.${step.key}.title`)}
        </Title>
        <Text size="sm" c="dimmed" style={{ flex: 1 }}>
          {t(`home.steps.${step.key}.text`)}
        </Text>
        {step.external ? (
          <Anchor href={step.to} target="_blank" rel="noopener" fw={600} size="sm">
            {label}
          </Anchor>
        ) : (
          <Anchor component={Link} to={step.to} fw={600} size="sm">
            {label}
          </Anchor>
        )}
      </Stack>
    </Card>
  );
}

export function HomePage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  if (!me) return null;
  const firstName = (me.user.name || me.user.email).split(/\s+/)[0];

  return (
    <>
      <PageHeader title={t('home.greeting', { name: firstName })} description={t('home.intro')} />
      <Card withBorder radius="md" padding="lg" mb="xl">
        <Group justify="space-between" align="flex-start" gap="md">
          <Stack gap={4}>
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              {t('home.workspace')}
            </Text>
            <Text size="xl" fw={700} data-testid="home-workspace-name">
              {me.workspace.name}
            </Text>
          </Stack>
          <Stack gap={4} maw={520}>
            <Group gap="xs">
              <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
                {t('home.yourRole')}
              </Text>
              <RoleBadge role={me.role} />
            </Group>
            <Text size="sm" c="dimmed">
              {t(`roleDescriptions.${me.role}`)}
            </Text>
          </Stack>
        </Group>
      </Card>
      <HomeDashboard />
      <Title order={2} size="h3" mb="md">
        {t('home.gettingStarted')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="lg">
        {STEPS.map((step) => (
          <StepCard key={step.key} step={step} />
        ))}
      </SimpleGrid>
    </>
  );
}
