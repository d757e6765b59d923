/**
 * The verifier page's entry: fills the form from the link (`?gateway=` runs at once), runs
 * `@saferouter/verify` on submit, and shows the loading, error and result states. Checkpoints are
 * remembered in this browser's localStorage, so a later visit notices a rewritten log.
 */
import './style.css';
import { byId, el, replace } from './dom.js';
import { initialInputs, shareableSearch, verifiesItsOwnHost, type PageInputs } from './inputs.js';
import { demoBanner, isDemo, resultView } from './result-view.js';
import { pageState, runVerification } from './run.js';

const form = byId('verify-form', HTMLFormElement);
const gatewayField = byId('gateway', HTMLInputElement);
const measurementField = byId('measurement', HTMLInputElement);
const receiptField = byId('receipt', HTMLTextAreaElement);
const acceptNewLogField = byId('accept-new-log', HTMLInputElement);
const button = byId('verify-button', HTMLButtonElement);
const bannerSlot = byId('demo-banner-slot', HTMLDivElement);
const statusArea = byId('status', HTMLDivElement);
const resultArea = byId('result', HTMLDivElement);
const selfServed = byId('self-served', HTMLParagraphElement);

const state = pageState();
let runId = 0;

function readForm(): PageInputs {
  return {
    gateway: gatewayField.value.trim(),
    expectedMeasurement: measurementField.value.trim(),
    receipt: receiptField.value,
    acceptNewLog: acceptNewLogField.checked,
  };
}

function fillForm(inputs: PageInputs): void {
  gatewayField.value = inputs.gateway;
  measurementField.value = inputs.expectedMeasurement;
  receiptField.value = inputs.receipt;
  acceptNewLogField.checked = inputs.acceptNewLog;
}

function setBusy(busy: boolean): void {
  button.disabled = busy;
  button.textContent = busy ? 'Verifying…' : 'Verify';
  resultArea.setAttribute('aria-busy', busy ? 'true' : 'false');
}

function storageNote(): HTMLElement | null {
  return state.persistent
    ? null
    : el(
        'p',
        { class: 'note' },
        'This browser does not let the page keep data, so no checkpoint is remembered between visits: ',
        'every run is a first sight of the logs, and a rewritten history cannot be noticed.',
      );
}

async function run(): Promise<void> {
  const inputs = readForm();
  const id = ++runId;
  setBusy(true);
  bannerSlot.replaceChildren();
  resultArea.replaceChildren();
  selfServed.hidden = !verifiesItsOwnHost(inputs.gateway, window.location);
  replace(statusArea, el('p', { class: 'loading', 'data-loading': true }, `Verifying ${inputs.gateway || '…'}`));
  if (inputs.gateway !== '' && (location.protocol === 'http:' || location.protocol === 'https:')) {
    history.replaceState(null, '', `${location.pathname}${shareableSearch(inputs)}${location.hash}`);
  }
  const outcome = await runVerification(inputs, state.store);
  if (id !== runId) return; // a newer run started meanwhile
  setBusy(false);
  if (outcome.kind === 'error') {
    replace(statusArea, el('p', { class: 'error', role: 'alert', 'data-error': true }, outcome.message));
    return;
  }
  const { result } = outcome;
  if (isDemo(result)) replace(bannerSlot, demoBanner());
  replace(statusArea, storageNote());
  replace(resultArea, resultView(result));
  // Move focus to the verdict so keyboard and screen-reader users land on the answer.
  resultArea.querySelector<HTMLElement>('#verdict-heading')?.focus({ preventScroll: false });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});

const initial = initialInputs(window.location);
fillForm(initial.inputs);
if (initial.autoRun) void run();
