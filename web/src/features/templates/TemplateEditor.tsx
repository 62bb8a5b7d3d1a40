import {
  Alert,
  Button,
  Code,
  Grid,
  Group,
  List,
  Paper,
  SegmentedControl,
  Stack,
  Switch,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, RichTextEditor } from '@mantine/tiptap';
import '@mantine/tiptap/styles.css';
import { IconAlertTriangle, IconArrowLeft, IconDeviceFloppy } from '@tabler/icons-react';
import { useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { type KeyboardEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ErrorDetail, isApiError } from '../../api/client';
import {
  type MessageTemplate,
  type TemplateChannel,
  useSaveTemplate,
  useTemplatePreview,
  useTemplateVariables,
} from '../../api/templates';
import { useErrorMessage } from '../../ui/errors';
import { notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { WriteWithAiPanel } from '../ai/WriteWithAiPanel';
import { ApprovedTemplatePickers } from './ApprovedTemplatePicker';
import { ClientPicker } from './ClientPicker';
import { MessagePreview } from './MessagePreview';
import {
  focusAfterInsert,
  insertAtCursor,
  isPickerHotkey,
  refocusAfterPick,
  VariablePicker,
} from './VariablePicker';

interface Props {
  template: MessageTemplate | null;
  canEdit: boolean;
  onClose(): void;
  onSaved(template: MessageTemplate): void;
}

/** Mistakes as the server reports them: the field, and inside a body its line and column. */
function Problems({ details }: { details: ErrorDetail[] }) {
  const { t } = useTranslation();
  if (!details.length) return null;
  return (
    <Alert color="red" icon={<IconAlertTriangle size={18} />} title={t('templates.problems')} role="alert">
      <List size="sm" spacing={4}>
        {details.map((d) => (
          <List.Item key={`${d.path}:${d.line}:${d.column}:${d.message}`}>
            <Text span size="sm" fw={500}>
              {t(`templates.fields.${d.path.split('/')[1] ?? 'body'}`, { defaultValue: d.path })}
              {d.line ? ` · ${t('templates.position', { line: d.line, column: d.column })}` : ''}
            </Text>
            {': '}
            {d.message}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}

export function TemplateEditor({ template, canEdit, onClose, onSaved }: Props) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const [name, setName] = useState(template?.name ?? '');
  const [channel, setChannel] = useState<TemplateChannel>(template?.channel ?? 'email');
  const [subject, setSubject] = useState(template?.subject ?? '');
  const [body, setBody] = useState(template?.body ?? '');
  const [objective, setObjective] = useState(template?.objective ?? '');
  const [marketing, setMarketing] = useState(template?.marketing ?? true);
  const [mode, setMode] = useState<'visual' | 'html'>('visual');
  const [waName, setWaName] = useState(template?.whatsapp_template?.name ?? '');
  const [waLanguage, setWaLanguage] = useState(template?.whatsapp_template?.language ?? '');
  const [waContentSid, setWaContentSid] = useState(template?.whatsapp_template?.content_sid ?? '');
  const [waParameters, setWaParameters] = useState<string[]>(
    template?.whatsapp_template?.body_parameters ?? [],
  );
  const [clientId, setClientId] = useState<string | null>(null);
  const [saveProblems, setSaveProblems] = useState<ErrorDetail[]>([]);
  const textArea = useRef<HTMLTextAreaElement>(null);
  // The variable picker inserts in the subject when it was the field last used, else in the body.
  const subjectField = useRef<HTMLInputElement>(null);
  const lastField = useRef<'subject' | 'body'>('body');
  const openPickerOnHotkey = (event: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (!isPickerHotkey(event)) return;
    event.preventDefault();
    setPickerOpened(true);
  };
  const save = useSaveTemplate();
  const variables = useTemplateVariables();
  const [pickerOpened, setPickerOpened] = useState(false);

  const editor = useEditor({
    extensions: [StarterKit.configure({ link: false }), Link],
    content: template?.channel === 'email' || !template ? (template?.body ?? '') : '',
    editable: canEdit,
    immediatelyRender: true,
    shouldRerenderOnTransaction: false,
    onUpdate: ({ editor: e }) => setBody(e.getHTML()),
    editorProps: {
      handleDOMEvents: {
        focus: () => {
          lastField.current = 'body';
          return false;
        },
      },
      handleKeyDown: (_view, event) => {
        if (!isPickerHotkey(event)) return false;
        event.preventDefault();
        setPickerOpened(true);
        return true;
      },
    },
  });

  const [settled] = useDebouncedValue({ channel, subject, body, marketing, clientId }, 400);
  const preview = useTemplatePreview(
    settled.clientId
      ? {
          channel: settled.channel,
          subject: settled.channel === 'email' ? settled.subject : undefined,
          body: settled.body,
          marketing: settled.marketing,
          client_id: settled.clientId,
        }
      : null,
  );
  const previewProblems = isApiError(preview.error, 400) ? preview.error.details : [];

  function insertVariable(snippet: string) {
    if (channel === 'email' && lastField.current === 'subject') {
      const field = subjectField.current;
      const { value, caret } = insertAtCursor(field, subject, snippet);
      setSubject(value);
      focusAfterInsert(field, caret);
      return;
    }
    if (channel === 'email' && mode === 'visual' && editor) {
      editor.chain().focus().insertContent(snippet).run();
      // After the menu gives the focus back to whatever opened it.
      refocusAfterPick(() => editor.commands.focus(), editor.view.dom);
      return;
    }
    const area = textArea.current;
    const { value, caret } = insertAtCursor(area, body, snippet);
    setBody(value);
    focusAfterInsert(area, caret);
  }

  function switchMode(next: string) {
    if (next === 'visual' && editor) editor.commands.setContent(body, { emitUpdate: false });
    setMode(next as 'visual' | 'html');
  }

  function switchChannel(next: string) {
    setChannel(next as TemplateChannel);
    if (next === 'email' && editor) editor.commands.setContent(body, { emitUpdate: false });
  }

  /**
   * The AI panel's insert/replace: the visual editor shows what the body now holds. Always synced,
   * since the panel may have just switched the channel to email (an "adapt to email" result).
   */
  function setBodyFromAi(next: string) {
    setBody(next);
    editor?.commands.setContent(next, { emitUpdate: false });
  }

  function submit() {
    setSaveProblems([]);
    save.mutate(
      {
        id: template?.id ?? null,
        input: {
          name,
          channel,
          subject: channel === 'email' ? subject : null,
          body,
          objective: objective || null,
          marketing,
          whatsapp_template:
            channel === 'whatsapp' && (waName || waContentSid)
              ? {
                  ...(waName ? { name: waName, language: waLanguage } : {}),
                  ...(waContentSid ? { content_sid: waContentSid } : {}),
                  body_parameters: waParameters,
                }
              : null,
        },
      },
      {
        onSuccess: (saved) => {
          notifySuccess(t('templates.saved'));
          onSaved(saved);
        },
        onError: (error) => {
          if (isApiError(error, 400) && error.details.length) setSaveProblems(error.details);
          else setSaveProblems([{ path: '/', message: errorMessage(error) }]);
        },
      },
    );
  }

  const variablePicker = (
    <VariablePicker
      opened={pickerOpened}
      onOpenedChange={setPickerOpened}
      onPick={(variable) => insertVariable(variable.insert)}
      disabled={!canEdit}
    />
  );

  const problems = saveProblems.length ? saveProblems : previewProblems;

  return (
    <Stack>
      <PageHeader
        title={template ? template.name : t('templates.new')}
        description={t('templates.editorHelp')}
        actions={
          <>
            <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={onClose}>
              {t('templates.back')}
            </Button>
            {canEdit ? (
              <Button leftSection={<IconDeviceFloppy size={16} />} loading={save.isPending} onClick={submit}>
                {t('templates.save')}
              </Button>
            ) : null}
          </>
        }
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <Group grow align="flex-start">
              <TextInput
                label={t('templates.name')}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                required
                readOnly={!canEdit}
              />
              <TextInput
                label={t('templates.objective')}
                placeholder={t('templates.objectivePlaceholder')}
                value={objective}
                onChange={(e) => setObjective(e.currentTarget.value)}
                readOnly={!canEdit}
              />
            </Group>
            <Group justify="space-between">
              <SegmentedControl
                aria-label={t('templates.channel')}
                value={channel}
                onChange={switchChannel}
                disabled={!canEdit}
                data={(['email', 'whatsapp', 'sms'] as const).map((c) => ({
                  value: c,
                  label: t(`templates.channels.${c}`),
                }))}
              />
              <Switch
                label={t('templates.marketing')}
                description={t('templates.marketingHelp')}
                checked={marketing}
                onChange={(e) => setMarketing(e.currentTarget.checked)}
                disabled={!canEdit}
              />
            </Group>
            {channel === 'email' ? (
              <TextInput
                ref={subjectField}
                label={t('templates.subject')}
                value={subject}
                onFocus={() => {
                  lastField.current = 'subject';
                }}
                onKeyDown={openPickerOnHotkey}
                onChange={(e) => setSubject(e.currentTarget.value)}
                required
                readOnly={!canEdit}
              />
            ) : null}
            <Stack gap={6}>
              <Group justify="space-between">
                <Text size="sm" fw={500}>
                  {t('templates.body')}
                </Text>
                <Group gap="xs">
                  {channel === 'email' ? (
                    <SegmentedControl
                      size="xs"
                      aria-label={t('templates.editorMode')}
                      value={mode}
                      onChange={switchMode}
                      data={[
                        { value: 'visual', label: t('templates.visual') },
                        { value: 'html', label: t('templates.html') },
                      ]}
                    />
                  ) : null}
                  {variablePicker}
                </Group>
              </Group>
              {channel === 'email' && mode === 'visual' ? (
                <RichTextEditor editor={editor} aria-label={t('templates.body')}>
                  <RichTextEditor.Toolbar>
                    <RichTextEditor.ControlsGroup>
                      <RichTextEditor.Bold />
                      <RichTextEditor.Italic />
                      <RichTextEditor.Strikethrough />
                    </RichTextEditor.ControlsGroup>
                    <RichTextEditor.ControlsGroup>
                      <RichTextEditor.H2 />
                      <RichTextEditor.H3 />
                      <RichTextEditor.BulletList />
                      <RichTextEditor.OrderedList />
                    </RichTextEditor.ControlsGroup>
                    <RichTextEditor.ControlsGroup>
                      <RichTextEditor.Link />
                      <RichTextEditor.Unlink />
                    </RichTextEditor.ControlsGroup>
                  </RichTextEditor.Toolbar>
                  <RichTextEditor.Content mih={220} />
                </RichTextEditor>
              ) : (
                <Textarea
                  ref={textArea}
                  aria-label={t('templates.body')}
                  value={body}
                  onChange={(e) => setBody(e.currentTarget.value)}
                  onFocus={() => {
                    lastField.current = 'body';
                  }}
                  onKeyDown={openPickerOnHotkey}
                  autosize
                  minRows={channel === 'email' ? 12 : 6}
                  styles={{ input: { fontFamily: channel === 'email' ? 'monospace' : undefined } }}
                  readOnly={!canEdit}
                />
              )}
              <Text size="xs" c="dimmed">
                {t('templates.liquidHint')} <Code>{'{{ client.first_name | default: "…" }}'}</Code>
              </Text>
            </Stack>
            {canEdit ? (
              <WriteWithAiPanel
                channel={channel}
                subject={subject}
                body={body}
                onSubject={setSubject}
                onBody={setBodyFromAi}
                onChannel={switchChannel}
              />
            ) : null}
            {channel === 'whatsapp' ? (
              <Paper withBorder radius="md" p="sm">
                <Stack gap="xs">
                  <Text size="sm" fw={500}>
                    {t('templates.providerTemplate')}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {t('templates.providerTemplateHelp')}
                  </Text>
                  <ApprovedTemplatePickers
                    value={{ name: waName, language: waLanguage }}
                    onPick={(picked) => {
                      setWaName(picked.name);
                      setWaLanguage(picked.language);
                    }}
                    disabled={!canEdit}
                  />
                  <Group grow>
                    <TextInput
                      label={t('templates.waName')}
                      value={waName}
                      onChange={(e) => setWaName(e.currentTarget.value)}
                      readOnly={!canEdit}
                    />
                    <TextInput
                      label={t('templates.waLanguage')}
                      placeholder="es"
                      value={waLanguage}
                      onChange={(e) => setWaLanguage(e.currentTarget.value)}
                      readOnly={!canEdit}
                    />
                    <TextInput
                      label={t('templates.waContentSid')}
                      placeholder="HX…"
                      value={waContentSid}
                      onChange={(e) => setWaContentSid(e.currentTarget.value)}
                      readOnly={!canEdit}
                    />
                  </Group>
                  <TagsInput
                    label={t('templates.waParameters')}
                    description={t('templates.waParametersHelp')}
                    data={(variables.data ?? []).flatMap((g) => g.variables.map((v) => v.path))}
                    value={waParameters}
                    onChange={setWaParameters}
                    readOnly={!canEdit}
                  />
                </Stack>
              </Paper>
            ) : null}
            <Problems details={problems} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Paper withBorder radius="md" p="md">
            <Stack>
              <Text fw={600}>{t('templates.preview')}</Text>
              <ClientPicker value={clientId} onChange={setClientId} />
              <MessagePreview
                channel={channel}
                preview={preview.data ?? null}
                loading={preview.isFetching}
                hasClient={Boolean(clientId)}
                failed={preview.isError && !previewProblems.length ? errorMessage(preview.error) : null}
              />
            </Stack>
          </Paper>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
