import { Alert, Button, Group, Modal, Radio, Select, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CLIENT_FIELDS, type Client, type DuplicateGroup, useMergeClients } from '../../../api/clients';
import { useCustomFields } from '../../../api/custom-fields';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { useOptionalT } from '../../../ui/useOptionalT';
import { humanize } from '../shared/format';

function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** Merge two clients of a group: which one stays, and for each field that differs, whose value to keep. */
export function MergeModal({ group, onClose }: { group: DuplicateGroup | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal opened={group !== null} onClose={onClose} title={t('clients.merge.title')} size="xl" centered>
      {group ? <MergeForm group={group} onClose={onClose} /> : null}
    </Modal>
  );
}

function MergeForm({ group, onClose }: { group: DuplicateGroup; onClose: () => void }) {
  const { t } = useTranslation();
  const optionalT = useOptionalT();
  const merge = useMergeClients();
  const errorMessage = useErrorMessage();
  const fields = useCustomFields(true);
  const [keepId, setKeepId] = useState(group.clients[0]?.id ?? '');
  const [otherId, setOtherId] = useState(group.clients[1]?.id ?? '');
  const keep = group.clients.find((client) => client.id === keepId);
  const other = group.clients.find((client) => client.id === otherId);
  const [prefer, setPrefer] = useState<Record<string, 'this' | 'other'>>({});

  useEffect(() => {
    setPrefer({});
    if (otherId === keepId) setOtherId(group.clients.find((client) => client.id !== keepId)?.id ?? '');
  }, [keepId, otherId, group.clients]);

  /** Fields where both have a value and the values differ (an empty one is filled from the other anyway). */
  const conflicts = useMemo(() => {
    if (!keep || !other) return [];
    const list: Array<{ name: string; label: string; mine: string; theirs: string }> = [];
    for (const name of CLIENT_FIELDS) {
      const mine = shown(keep[name as keyof Client]);
      const theirs = shown(other[name as keyof Client]);
      if (mine && theirs && mine !== theirs)
        list.push({ name, label: optionalT(`clients.fields.${name}`, humanize(name)), mine, theirs });
    }
    const customDiffers = Object.keys({ ...keep.custom, ...other.custom }).some(
      (key) =>
        shown(keep.custom[key]) &&
        shown(other.custom[key]) &&
        shown(keep.custom[key]) !== shown(other.custom[key]),
    );
    if (customDiffers) {
      const labels = (key: string) => fields.data?.find((field) => field.key === key)?.label ?? humanize(key);
      const describe = (custom: Record<string, unknown>) =>
        Object.entries(custom)
          .filter(([, value]) => shown(value))
          .map(([key, value]) => `${labels(key)}: ${shown(value)}`)
          .join(' · ');
      list.push({
        name: 'custom',
        label: t('clients.merge.customFields'),
        mine: describe(keep.custom),
        theirs: describe(other.custom),
      });
    }
    return list;
  }, [keep, other, optionalT, t, fields.data]);

  const options = group.clients.map((client) => ({
    value: client.id,
    label: `${client.name}${client.email ? ` — ${client.email}` : client.phone ? ` — ${client.phone}` : ''}`,
  }));

  const submit = () => {
    if (!keep || !other) return;
    merge.mutate(
      { id: keep.id, otherId: other.id, prefer },
      {
        onSuccess: (client) => {
          notifySuccess(t('clients.merge.done', { name: client.name }));
          onClose();
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  };

  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label={t('clients.merge.keep')}
          description={t('clients.merge.keepHelp')}
          data={options}
          value={keepId}
          onChange={(value) => value && setKeepId(value)}
          allowDeselect={false}
        />
        <Select
          label={t('clients.merge.other')}
          description={t('clients.merge.otherHelp')}
          data={options.filter((option) => option.value !== keepId)}
          value={otherId}
          onChange={(value) => value && setOtherId(value)}
          allowDeselect={false}
        />
      </SimpleGrid>
      {conflicts.length ? (
        <Stack gap="xs">
          <Text size="sm" fw={600}>
            {t('clients.merge.chooseValues')}
          </Text>
          <Table.ScrollContainer minWidth={560} type="native">
            <Table verticalSpacing="xs" withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('clients.merge.field')}</Table.Th>
                  <Table.Th>{keep?.name}</Table.Th>
                  <Table.Th>{other?.name}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {conflicts.map((conflict) => {
                  const choice = prefer[conflict.name] ?? 'this';
                  const choose = (value: 'this' | 'other') =>
                    setPrefer((current) => ({ ...current, [conflict.name]: value }));
                  return (
                    <Table.Tr key={conflict.name}>
                      <Table.Td fw={600}>{conflict.label}</Table.Td>
                      <Table.Td>
                        <Radio
                          name={`merge-${conflict.name}`}
                          value="this"
                          checked={choice === 'this'}
                          onChange={() => choose('this')}
                          label={conflict.mine}
                        />
                      </Table.Td>
                      <Table.Td>
                        <Radio
                          name={`merge-${conflict.name}`}
                          value="other"
                          checked={choice === 'other'}
                          onChange={() => choose('other')}
                          label={conflict.theirs}
                        />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          {t('clients.merge.noConflicts')}
        </Text>
      )}
      <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
        {t('clients.merge.explain', { keep: keep?.name ?? '', other: other?.name ?? '' })}
      </Alert>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          {t('common.cancel')}
        </Button>
        <Button onClick={submit} loading={merge.isPending} disabled={!keep || !other}>
          {t('clients.merge.submit')}
        </Button>
      </Group>
    </Stack>
  );
}
