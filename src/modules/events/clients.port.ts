/**
 * Everything the events module needs from the clients and workspaces modules, through their
 * services, in one place.
 */
export {
  applyActivityScores,
  type ClientRiskInputs,
  createClient,
  getClientRow,
  listClientHistoryItems,
  listClientRiskInputs,
  lockClients,
  resolveClientIdentities,
  setRiskOverride,
  setRiskScores,
} from '../clients/clients.service.ts';
export { getWorkspace, listWorkspaceIds } from '../workspaces/workspaces.service.ts';
