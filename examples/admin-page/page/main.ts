/**
 * The admin page: lists the webhooks with their health, rotates a secret (after an in-page
 * confirmation), creates a webhook. Everything goes through the gateway with the key typed in the
 * settings bar; nothing is stored in the browser.
 */

import {
  AdminCreateWebhookDocument,
  AdminRotateSecretDocument,
  AdminWebhookListDocument,
  type AdminWebhookListQuery,
  type AdminWebhookRowFragment,
} from '../../../schema/generated/operations.ts';
import { byId, h } from './dom.ts';
import {
  type ErrorView,
  execute,
  GatewayError,
  type GatewaySettings,
  type Result,
} from './gateway-client.ts';
import { clearErrors, clearSecret, copySecret, showErrors, showSecret } from './notices.ts';
import { takeInitialSettings } from './settings.ts';
import { INPUT_TOPICS, type InputTopic, isInputTopic, TOPIC_NAMES } from './topics.ts';
import { type RotationStep, webhookRow } from './webhook-rows.ts';

const PAGE_SIZE = 50;
/** Featurebase allows 10 webhooks per workspace by default: this many pages is never reached. */
const MAX_PAGES = 20;

const state = {
  webhooks: [] as AdminWebhookRowFragment[],
  steps: new Map<string, RotationStep>(),
  /** Bumped by every load, so an answer to an older one is dropped. */
  loadGeneration: 0,
};

const table = byId('webhooks', HTMLTableElement);
const tbody = byId('webhook-rows', HTMLTableSectionElement);
const status = byId('list-status', HTMLElement);

function settings(): GatewaySettings {
  return {
    url: byId('gateway-url', HTMLInputElement).value.trim(),
    apiKey: byId('api-key', HTMLInputElement).value.trim(),
  };
}

/** The settings, or null after showing what is missing. */
function usableSettings(): GatewaySettings | null {
  const current = settings();
  const problems: ErrorView[] = [];
  if (!/^https?:\/\//.test(current.url)) {
    problems.push({
      message: 'The gateway URL must start with http:// or https://.',
      code: undefined,
    });
  }
  if (current.apiKey === '') problems.push({ message: 'Enter an API key.', code: undefined });
  if (problems.length === 0) return current;
  showErrors(problems);
  return null;
}

function renderRows(): void {
  tbody.replaceChildren(
    ...state.webhooks.map((webhook) => webhookRow(webhook, state.steps.get(webhook.id) ?? 'idle')),
  );
}

function setListState(value: 'idle' | 'loading' | 'loaded' | 'failed', text: string): void {
  table.dataset['state'] = value;
  status.textContent = text;
}

function showFailure(error: unknown): void {
  if (error instanceof GatewayError) showErrors(error.errors);
  else
    showErrors([
      { message: error instanceof Error ? error.message : String(error), code: undefined },
    ]);
}

async function loadWebhooks(): Promise<void> {
  const generation = ++state.loadGeneration;
  // A fresh list never shows a secret again, whoever asked for it.
  clearSecret();
  clearErrors();
  const current = usableSettings();
  if (!current) {
    setListState('failed', 'Not loaded.');
    return;
  }
  setListState('loading', 'Loading…');
  const webhooks: AdminWebhookRowFragment[] = [];
  const partialErrors: ErrorView[] = [];
  try {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data, errors }: Result<AdminWebhookListQuery> = await execute(
        current,
        AdminWebhookListDocument,
        { first: PAGE_SIZE, after },
      );
      if (generation !== state.loadGeneration) return;
      partialErrors.push(...errors);
      for (const node of data.webhooks.nodes) if (node) webhooks.push(node);
      if (!data.webhooks.pageInfo.hasNextPage) break;
      after = data.webhooks.pageInfo.endCursor;
    }
  } catch (error) {
    if (generation !== state.loadGeneration) return;
    state.webhooks = [];
    state.steps.clear();
    renderRows();
    setListState('failed', 'Not loaded.');
    showFailure(error);
    return;
  }
  state.webhooks = webhooks;
  state.steps.clear();
  renderRows();
  setListState('loaded', webhooks.length === 1 ? '1 webhook' : `${webhooks.length} webhooks`);
  if (partialErrors.length > 0) showErrors(partialErrors);
}

async function rotate(id: string): Promise<void> {
  const webhook = state.webhooks.find((candidate) => candidate.id === id);
  const current = usableSettings();
  if (!webhook || !current) return;
  clearErrors();
  clearSecret();
  state.steps.set(id, 'rotating');
  renderRows();
  try {
    const { data } = await execute(current, AdminRotateSecretDocument, { id });
    showSecret(`New signing secret of “${webhook.name}”`, data.refreshWebhookSecret.secret);
  } catch (error) {
    showFailure(error);
  } finally {
    state.steps.delete(id);
    renderRows();
  }
}

function onTableClick(event: MouseEvent): void {
  if (!(event.target instanceof Element)) return;
  const button = event.target.closest('button[data-action]');
  const id = button?.closest('tr')?.getAttribute('data-webhook-id');
  if (!button || !id) return;
  switch (button.getAttribute('data-action')) {
    case 'rotate':
      // One confirmation open at a time: opening another cancels the first.
      for (const [other, step] of state.steps) if (step === 'confirming') state.steps.delete(other);
      state.steps.set(id, 'confirming');
      renderRows();
      break;
    case 'cancel-rotate':
      state.steps.delete(id);
      renderRows();
      break;
    case 'confirm-rotate':
      void rotate(id);
      break;
  }
}

async function createWebhook(form: HTMLFormElement): Promise<void> {
  clearErrors();
  const current = usableSettings();
  if (!current) return;
  const fields = new FormData(form);
  const topics = fields
    .getAll('topic')
    .filter((value): value is InputTopic => typeof value === 'string' && isInputTopic(value));
  if (topics.length === 0) {
    showErrors([{ message: 'Choose at least one topic.', code: undefined }]);
    return;
  }
  const submit = byId('create-submit', HTMLButtonElement);
  submit.disabled = true;
  try {
    const { data } = await execute(current, AdminCreateWebhookDocument, {
      input: {
        name: String(fields.get('name') ?? '').trim(),
        url: String(fields.get('url') ?? '').trim(),
        topics,
      },
    });
    const { secret, ...row } = data.createWebhook;
    state.webhooks.push(row);
    renderRows();
    setListState('loaded', `${state.webhooks.length} webhooks`);
    form.reset();
    showSecret(`Signing secret of the new webhook “${row.name}”`, secret);
  } catch (error) {
    showFailure(error);
  } finally {
    submit.disabled = false;
  }
}

function topicCheckboxes(): HTMLElement[] {
  return INPUT_TOPICS.map((topic) =>
    h(
      'label',
      { class: 'topic' },
      h('input', { type: 'checkbox', name: 'topic', value: topic }),
      ` ${TOPIC_NAMES[topic]}`,
    ),
  );
}

function start(): void {
  const initial = takeInitialSettings(window.location, window.history);
  byId('gateway-url', HTMLInputElement).value = initial.gatewayUrl;
  byId('api-key', HTMLInputElement).value = initial.apiKey;
  byId('topic-choices', HTMLElement).replaceChildren(...topicCheckboxes());

  byId('settings', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    void loadWebhooks();
  });
  const createForm = byId('create-form', HTMLFormElement);
  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void createWebhook(createForm);
  });
  table.addEventListener('click', onTableClick);
  byId('secret-copy', HTMLButtonElement).addEventListener('click', () => void copySecret());
  byId('secret-done', HTMLButtonElement).addEventListener('click', clearSecret);

  if (initial.apiKey) void loadWebhooks();
  else setListState('idle', 'Enter the gateway URL and an API key, then load the webhooks.');
}

start();
