import { Button, CloseButton, Drawer, Group, Skeleton, Stack, Tabs } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import {
  IconClipboardText,
  IconHistory,
  IconId,
  IconMessages,
  IconShieldCheck,
  IconTicket,
  IconUserQuestion,
} from '@tabler/icons-react';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { isApiError } from '../../../api/client';
import { type Client, useClient } from '../../../api/clients';
import { EmptyState } from '../../../ui/EmptyState';
import { QueryError } from '../../../ui/QueryError';
import { ClientCouponsTab } from '../../coupons/ClientCouponsTab';
import { AdminMenu } from './AdminMenu';
import { ClientSummary, DrawerTitle } from './ClientHeader';
import { ConsentTab } from './ConsentTab';
import { DetailsTab } from './DetailsTab';
import { NotesTab } from './NotesTab';
import { TimelineTab } from './TimelineTab';

const TABS = ['timeline', 'notes', 'details', 'consent', 'messages', 'coupons'] as const;
type Tab = (typeof TABS)[number];

const TAB_ICONS = {
  timeline: IconHistory,
  notes: IconClipboardText,
  details: IconId,
  consent: IconShieldCheck,
  messages: IconMessages,
  coupons: IconTicket,
} as const;

interface Props {
  /** The client to show; undefined closes the drawer. */
  clientId: string | undefined;
  onClose: () => void;
}

/** One client's 360° view over the list: header, scores, tags and the tabs. Escape closes it. */
export function ClientDrawer({ clientId, onClose }: Props) {
  const compact = useMediaQuery('(max-width: 62em)') ?? false;
  // Keep showing the last client while the drawer slides away.
  const [shownId, setShownId] = useState(clientId);
  useEffect(() => {
    if (clientId) setShownId(clientId);
  }, [clientId]);

  const close = useRef(onClose);
  close.current = onClose;
  /**
   * Escape closes the drawer only when pressed in the drawer itself. A native listener hears just its own
   * DOM: dialogs opened from the drawer (consent, erase…) are portals elsewhere, and an open list (a
   * select's options) closes first.
   */
  const escapeArea = useCallback((node: HTMLDivElement | null) => {
    if (!node) return;
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      if ((event.target as HTMLElement).getAttribute('aria-expanded') === 'true') return;
      close.current();
    };
    node.addEventListener('keydown', onKeyDown);
    return () => node.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <Drawer.Root
      opened={Boolean(clientId)}
      onClose={onClose}
      closeOnEscape={false}
      position="right"
      size={compact ? '100%' : 900}
      onExitTransitionEnd={() => setShownId(undefined)}
    >
      <Drawer.Overlay backgroundOpacity={0.35} />
      <Drawer.Content>
        {/* Drawer.Content keeps its own key handler, so ours sits on a box that takes no room. */}
        <div ref={escapeArea} style={{ display: 'contents' }}>
          {shownId ? <ClientView key={shownId} id={shownId} onClose={onClose} /> : null}
        </div>
      </Drawer.Content>
    </Drawer.Root>
  );
}

function ClientView({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useClient(id);

  const close = <CloseButton onClick={onClose} aria-label={t('clients.drawer.close')} size="lg" />;

  if (client.error && !client.data) {
    const gone = isApiError(client.error, 404);
    return (
      <>
        <Drawer.Header>
          <Drawer.Title>{t('clients.drawer.unknownTitle')}</Drawer.Title>
          {close}
        </Drawer.Header>
        <Drawer.Body>
          {gone ? (
            <EmptyState
              icon={IconUserQuestion}
              title={t('clients.drawer.goneTitle')}
              description={t('clients.drawer.goneText')}
            >
              <Button variant="light" onClick={onClose}>
                {t('clients.drawer.backToList')}
              </Button>
            </EmptyState>
          ) : (
            <QueryError error={client.error} onRetry={() => void client.refetch()} />
          )}
        </Drawer.Body>
      </>
    );
  }

  if (!client.data) {
    return (
      <>
        <Drawer.Header>
          <Group gap="md" style={{ flex: 1 }}>
            <Skeleton circle h={56} w={56} />
            <Stack gap={6} style={{ flex: 1 }}>
              <Drawer.Title>
                <Skeleton h={24} w={220} />
              </Drawer.Title>
              <Skeleton h={14} w={140} />
            </Stack>
          </Group>
          {close}
        </Drawer.Header>
        <Drawer.Body>
          <Stack aria-busy="true" aria-label={t('app.loading')}>
            <Skeleton h={64} />
            <Skeleton h={28} w="60%" />
            <Skeleton h={36} />
            <Skeleton h={120} />
          </Stack>
        </Drawer.Body>
      </>
    );
  }

  return <LoadedClient client={client.data} close={close} onClose={onClose} />;
}

function LoadedClient({ client, close, onClose }: { client: Client; close: ReactNode; onClose: () => void }) {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const requested = params.get('tab');
  const tab: Tab = (TABS as readonly string[]).includes(requested ?? '') ? (requested as Tab) : 'timeline';
  const setTab = (next: string | null) => {
    const updated = new URLSearchParams(params);
    if (!next || next === 'timeline') updated.delete('tab');
    else updated.set('tab', next);
    setParams(updated, { replace: true });
  };

  return (
    <>
      <Drawer.Header
        style={{ alignItems: 'flex-start', borderBottom: '1px solid var(--mantine-color-default-border)' }}
      >
        <DrawerTitle client={client} />
        <Group gap={4} wrap="nowrap">
          <AdminMenu client={client} onErased={onClose} />
          {close}
        </Group>
      </Drawer.Header>
      <Drawer.Body pt="md">
        <Stack gap="md">
          <ClientSummary client={client} />
          <Tabs value={tab} onChange={setTab} keepMounted={false}>
            <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
              {TABS.map((name) => {
                const TabIcon = TAB_ICONS[name];
                return (
                  <Tabs.Tab key={name} value={name} leftSection={<TabIcon size={16} aria-hidden />}>
                    {t(`clients.tabs.${name}`)}
                  </Tabs.Tab>
                );
              })}
            </Tabs.List>
            <Tabs.Panel value="timeline" pt="md">
              <TimelineTab client={client} />
            </Tabs.Panel>
            <Tabs.Panel value="notes" pt="md">
              <NotesTab client={client} />
            </Tabs.Panel>
            <Tabs.Panel value="details" pt="md">
              <DetailsTab client={client} />
            </Tabs.Panel>
            <Tabs.Panel value="consent" pt="md">
              <ConsentTab client={client} />
            </Tabs.Panel>
            <Tabs.Panel value="messages" pt="md">
              <EmptyState
                icon={IconMessages}
                title={t('clients.messages.title')}
                description={t('clients.messages.text')}
              />
            </Tabs.Panel>
            <Tabs.Panel value="coupons" pt="md">
              <ClientCouponsTab client={client} />
            </Tabs.Panel>
          </Tabs>
        </Stack>
      </Drawer.Body>
    </>
  );
}
