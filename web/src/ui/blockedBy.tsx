import { Anchor, Button, Group, List, Stack, Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { type ReactNode, useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';

/** One thing in the way: its label, where it lives in the app (null: no page of its own), and a badge. */
export interface BlockingItem {
  key: string;
  label: string;
  href: string | null;
  badge?: ReactNode;
}

/**
 * "This cannot be done yet": a dialog that names what stands in the way (campaigns that still need a
 * segment or a channel…), each a link to its page, instead of offering an action the server refuses.
 */
export function useBlockedByDialog() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return useCallback(
    ({
      title,
      text,
      testId,
      items,
    }: {
      title: string;
      text: string;
      testId: string;
      items: BlockingItem[];
    }) => {
      const id = modals.open({
        title,
        children: (
          <Stack gap="sm" data-testid={testId}>
            <Text size="sm">{text}</Text>
            <List size="sm" spacing={6}>
              {items.map((item) => (
                <List.Item key={item.key}>
                  <Group gap="xs">
                    {item.href ? (
                      <Anchor
                        href={item.href}
                        size="sm"
                        onClick={(event) => {
                          // The modal renders outside the router: navigate with the hook's function.
                          event.preventDefault();
                          modals.close(id);
                          navigate(item.href!);
                        }}
                      >
                        {item.label}
                      </Anchor>
                    ) : (
                      item.label
                    )}
                    {item.badge}
                  </Group>
                </List.Item>
              ))}
            </List>
            <Group justify="flex-end">
              <Button onClick={() => modals.close(id)} data-autofocus>
                {t('common.done')}
              </Button>
            </Group>
          </Stack>
        ),
      });
    },
    [t, navigate],
  );
}
