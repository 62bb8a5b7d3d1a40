import { createBrowserRouter, Navigate } from 'react-router';
import { LoginPage } from '../features/auth/LoginPage';
import { CampaignPage } from '../features/campaigns/CampaignPage';
import { CampaignsPage } from '../features/campaigns/CampaignsPage';
import { CampaignWizard } from '../features/campaigns/CampaignWizard';
import { SendingSettingsPage } from '../features/campaigns/SendingSettingsPage';
import { ChannelsPage } from '../features/channels/ChannelsPage';
import { ClientsPage } from '../features/clients/ClientsPage';
import { DuplicatesPage } from '../features/clients/duplicates/DuplicatesPage';
import { CouponsPage } from '../features/coupons/CouponsPage';
import { SignupFormsPage } from '../features/forms/SignupFormsPage';
import { HomePage } from '../features/home/HomePage';
import { ImportRunPage } from '../features/imports/ImportRunPage';
import { ImportsPage } from '../features/imports/ImportsPage';
import { ImportWizard } from '../features/imports/ImportWizard';
import { InvitePage } from '../features/invite/InvitePage';
import { NotFoundPage } from '../features/not-found/NotFoundPage';
import { OutboxPage } from '../features/outbox/OutboxPage';
import { PrivacyRequestsPage } from '../features/privacy-requests/PrivacyRequestsPage';
import { SegmentBuilderPage } from '../features/segments/SegmentBuilderPage';
import { SegmentsPage } from '../features/segments/SegmentsPage';
import { AiSettingsPage } from '../features/settings/ai/AiSettingsPage';
import { ApiKeysPage } from '../features/settings/api-keys/ApiKeysPage';
import { AuditLogPage } from '../features/settings/audit-log/AuditLogPage';
import { CustomFieldsPage } from '../features/settings/custom-fields/CustomFieldsPage';
import { LabelsPage } from '../features/settings/labels/LabelsPage';
import { LocationsPage } from '../features/settings/locations/LocationsPage';
import { MembersPage } from '../features/settings/members/MembersPage';
import { RetentionPage } from '../features/settings/retention/RetentionPage';
import { TagsPage } from '../features/settings/tags/TagsPage';
import { WorkspaceSettingsPage } from '../features/settings/workspace/WorkspaceSettingsPage';
import { TemplatesPage } from '../features/templates/TemplatesPage';
import { RequireRole } from '../ui/RequireRole';
import { AppLayout } from './layout/AppLayout';
import { RequireAuth } from './RequireAuth';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/invite/:token', element: <InvitePage /> },
  {
    element: <RequireAuth />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { index: true, element: <HomePage /> },
          {
            path: 'clients',
            element: <ClientsPage />,
            // The drawer of one client opens over the list, which keeps its search, filters and scroll.
            children: [{ path: ':id', element: null }],
          },
          { path: 'clients/duplicates', element: <DuplicatesPage /> },
          { path: 'segments', element: <SegmentsPage /> },
          { path: 'segments/new', element: <SegmentBuilderPage /> },
          { path: 'segments/:id', element: <SegmentBuilderPage /> },
          { path: 'campaigns', element: <CampaignsPage /> },
          { path: 'campaigns/new', element: <CampaignWizard /> },
          { path: 'campaigns/:id/edit', element: <CampaignWizard /> },
          { path: 'campaigns/:id', element: <CampaignPage /> },
          { path: 'templates', element: <TemplatesPage /> },
          { path: 'coupons', element: <CouponsPage /> },
          { path: 'imports', element: <ImportsPage /> },
          { path: 'imports/new', element: <ImportWizard /> },
          { path: 'imports/:id', element: <ImportRunPage /> },
          { path: 'outbox', element: <OutboxPage /> },
          {
            path: 'settings',
            children: [
              { index: true, element: <Navigate to="workspace" replace /> },
              { path: 'workspace', element: <WorkspaceSettingsPage /> },
              { path: 'members', element: <MembersPage /> },
              { path: 'custom-fields', element: <CustomFieldsPage /> },
              { path: 'labels', element: <LabelsPage /> },
              { path: 'tags', element: <TagsPage /> },
              { path: 'locations', element: <LocationsPage /> },
              { path: 'retention', element: <RetentionPage /> },
              {
                path: 'api-keys',
                element: (
                  <RequireRole minimum="admin">
                    <ApiKeysPage />
                  </RequireRole>
                ),
              },
              { path: 'channels', element: <ChannelsPage /> },
              {
                path: 'ai',
                element: (
                  <RequireRole minimum="marketer">
                    <AiSettingsPage />
                  </RequireRole>
                ),
              },
              { path: 'sending', element: <SendingSettingsPage /> },
              { path: 'signup-forms', element: <SignupFormsPage /> },
              {
                path: 'privacy-requests',
                element: (
                  <RequireRole minimum="admin">
                    <PrivacyRequestsPage />
                  </RequireRole>
                ),
              },
              {
                path: 'audit-log',
                element: (
                  <RequireRole minimum="admin">
                    <AuditLogPage />
                  </RequireRole>
                ),
              },
            ],
          },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
