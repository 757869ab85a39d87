// The lineage page in headless Chromium (Debian's, driven by playwright-core) against the `somnus serve` that run.sh
// started and fed: what the page shows is checked against the JSON it is built from, and a rollback made on the page
// must come back from tracking as a recorded run. Screenshots go to $SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const URL = process.env.SOMNUS_URL;
const SHOTS = process.env.SCREENSHOTS;
const api = (path) => fetch(`${URL}/api/lineage${path}`).then((r) => r.json());

let browser;
let page;
const pageErrors = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // without the background-networking flags Chromium keeps dialling out of this closed network
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
});

after(async () => {
  await browser?.close();
});

test('the page loads and its graph holds every version, parent to child', async () => {
  const overview = await api('/overview');
  await page.goto(`${URL}/ui/#/versions/${overview.aliases.live}`);
  await page.getByTestId('version-detail').waitFor();
  assert.equal(await page.getByTestId('live').textContent(), overview.aliases.live);
  const graph = page.getByTestId('version-graph');
  assert.equal(Number(await graph.getAttribute('data-nodes')), overview.versions.length);
  assert.equal(Number(await graph.getAttribute('data-edges')), overview.versions.filter((v) => v.parent).length);
  const kinds = overview.versions.map((v) => v.kind);
  assert.ok(kinds.includes('base') && kinds.includes('wake') && kinds.includes('sleep'), `base, wake and sleep versions: ${kinds}`);
  assert.equal(await page.getByTestId('versions-table').locator('tr').count(), overview.versions.length + 1);
  assert.match(await page.getByTestId('version-detail').textContent(), /MEMIT edits/);
  await page.screenshot({ path: `${SHOTS}/versions-graph.png`, fullPage: true });
  console.log(`versions: ${overview.versions.map((v) => `${v.id} (${v.kind}${v.live ? ', live' : ''})`).join(' -> ')}`);
});

test('the facts of the live version, and one fact\'s stage and scale over the runs that recorded it', async () => {
  const facts = await api('/facts');
  assert.ok(facts.facts.length > 0, 'the openai test wrote a fact and the sleep recorded it');
  await page.goto(`${URL}/ui/#/facts`);
  const table = page.getByTestId('facts-table');
  await table.waitFor();
  for (const f of facts.facts) assert.match(await table.textContent(), new RegExp(f.factId));

  const fact = facts.facts[0];
  const history = await api(`/facts/${fact.factId}`);
  const sleep = (await api('/runs')).find((r) => r.kind === 'sleep');
  assert.ok(history.records.length >= 2,
    `recorded by the wake that wrote it and by the sleep (the sleep ended ${sleep?.outcome}: ${sleep?.reasons ?? 'no reason'})`);
  await page.getByRole('link', { name: fact.factId }).click();
  await page.getByTestId('fact-chart').waitFor();
  assert.match(await page.getByTestId('fact-title').textContent(), new RegExp(fact.object));
  assert.equal(await page.getByTestId('fact-records').locator('tr').count(), history.records.length + 1);
  await page.waitForTimeout(300); // the chart draws on the next frame
  await page.screenshot({ path: `${SHOTS}/fact-timeline.png`, fullPage: true });
  console.log(`fact ${fact.factId} (${fact.subject} ${fact.relation} ${fact.object}): stages ${history.records.map((r) => r.stage).join(' -> ')}, `
    + `scales ${history.records.map((r) => r.memitScale).join(' -> ')}`);
});

test('the sleep is listed with its outcome, and its page shows metrics and the saved workflow history', async () => {
  const runs = await api('/runs');
  const sleep = runs.find((r) => r.kind === 'sleep');
  assert.ok(sleep, 'the sleep is a tracked run');
  await page.goto(`${URL}/ui/#/runs`);
  const row = page.locator(`[data-run="${sleep.runId}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(sleep.outcome ?? 'not recorded'));
  await row.getByRole('link', { name: sleep.runId }).click();
  await page.getByTestId('run-detail').waitFor();
  const workflow = page.getByTestId('run-workflow');
  await workflow.waitFor();
  for (const step of ['HealthCheck', 'TrainLora', 'Validate', 'Report']) assert.match(await workflow.textContent(), new RegExp(step));
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/run.png`, fullPage: true });
  console.log(`run ${sleep.runId}: outcome ${sleep.outcome}, ${Object.keys(sleep.metrics).length} metrics`);
});

test('a diff of two versions lists the facts that changed', async () => {
  const overview = await api('/overview');
  const wake = overview.versions.filter((v) => v.kind === 'wake').at(-1);
  await page.goto(`${URL}/ui/#/diff?from=${wake.id}&to=${overview.aliases.live}`);
  const diff = await api(`/diff?from=${wake.id}&to=${overview.aliases.live}`);
  if (diff.changes.length) {
    await page.getByTestId('diff-table').waitFor();
    assert.equal(await page.getByTestId('diff-table').locator('tr').count(), diff.changes.length + 1);
  }
  await page.screenshot({ path: `${SHOTS}/diff.png`, fullPage: true });
  console.log(`diff ${wake.id} -> ${overview.aliases.live}: ${diff.changes.map((c) => `${c.kind} ${c.factId}`).join(', ')}`);
});

test('a rollback from the page, once confirmed, is a recorded run and moves live', async () => {
  const before = await api('/overview');
  const target = before.aliases.previous;
  await page.goto(`${URL}/ui/#/versions/${target}`);
  await page.getByTestId('version-detail').waitFor();
  await page.getByTestId('rollback-open').click();
  const dialog = page.getByTestId('rollback-dialog');
  await dialog.waitFor();
  assert.equal(await page.getByTestId('rollback-confirm').isDisabled(), true, 'no rollback without a reason');
  const reason = `browser test: back to ${target}`;
  await page.getByTestId('rollback-reason').fill(reason);
  await page.screenshot({ path: `${SHOTS}/rollback-confirm.png` });
  await page.getByTestId('rollback-confirm').click();
  const notice = page.getByTestId('notice');
  await notice.waitFor({ timeout: 120_000 });
  assert.match(await notice.textContent(), new RegExp(`live ${before.aliases.live} → ${target}`));

  const after = await api('/overview');
  assert.equal(after.aliases.live, target);
  const rollback = (await api('/runs')).find((r) => r.kind === 'rollback');
  assert.ok(rollback, 'the rollback is a tracked run');
  assert.equal(rollback.outcome, 'rolled-back');
  assert.equal(rollback.params.reason, reason);
  assert.equal(rollback.params.from_version, before.aliases.live);
  assert.equal(rollback.params.to_version, target);
  await page.goto(`${URL}/ui/#/runs`);
  await page.locator(`[data-run="${rollback.runId}"]`).waitFor();
  await page.screenshot({ path: `${SHOTS}/runs-after-rollback.png`, fullPage: true });
  console.log(`rollback run ${rollback.runId}: live ${before.aliases.live} -> ${after.aliases.live}, reason ${JSON.stringify(rollback.params.reason)}`);
});

test('the page raised no script errors', () => {
  assert.deepEqual(pageErrors, []);
});
