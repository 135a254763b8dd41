// The configurator: a user edits every part of a scenario, sees the lab's own message on the field
// that is wrong as they type (and problems without a field at the top), imports and exports
// scenario files, and starts the run from the keyboard.
import { test, expect } from './labTest';
import { parse } from 'yaml';
import { AppDriver } from './appDriver';

test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('host, VMs and devices: defaults with sources, the schema message on the field, platforms the lab accepts', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openNewRun();
  await expect(app.draftOrigin()).toContainText('from preset');
  await app.waitValid();
  await app.screenshot('configurator-scenario');

  await app.openTab('host');
  await expect(app.fieldDefault('host.vfio.dmaEntryLimit')).toContainText('65,535 mappings');
  await expect(app.fieldDefault('host.vfio.dmaEntryLimit')).toContainText('vfio_iommu_type1.c');
  await app.setField('host.vfio.dmaEntryLimit', '0');
  await expect(app.fieldError('host.vfio.dmaEntryLimit')).toHaveText('Too small: expected number to be >=1');
  await expect(app.startButton()).toBeDisabled();
  await expect(page.getByTestId('tab-host')).toContainText('1');
  await app.setField('host.vfio.dmaEntryLimit', '1024');
  await expect(app.fieldError('host.vfio.dmaEntryLimit')).toHaveCount(0);
  await app.setField('host.vfio.memlockBytes', 'lots');
  await expect(app.fieldError('host.vfio.memlockBytes')).toContainText('expected a hex string like "0x10000"');
  await app.setField('host.vfio.memlockBytes', '0x1000000');
  await expect(page.locator('[data-field="host.vfio.memlockBytes"]')).toContainText('16 MiB');
  await app.waitValid();

  await app.setField('host.arch', 's390x');
  const hypervisors = await app.field('host.hypervisor').locator('option').allTextContents();
  expect(hypervisors).toEqual(expect.arrayContaining(['kvm', 'zvm', 'lpar']));
  expect(hypervisors).not.toContain('powernv');
  await expect(app.platformHint()).toContainText('On s390x the lab runs: kvm, zvm, lpar.');
  await expect(app.platformHint()).toContainText('default VFIO backend on s390x: type1v2');
  await app.setField('host.hypervisor', 'lpar');
  await app.setField('host.arch', 'ppc64le');
  await expect(app.field('host.hypervisor')).toHaveValue('kvm');
  await expect(app.platformHint()).toContainText('On ppc64le the lab runs: kvm, powernv, powervm-nested.');
  await expect(app.platformHint()).toContainText('default VFIO backend on ppc64le: spapr-tce-v2');
  await expect(app.platformHint()).toContainText('POWER8');
  await expect(app.platformHint()).toContainText('default vIOMMU on ppc64le: spapr-tce');
  await app.setField('host.arch', 'x86_64');
  await expect(app.field('host.hypervisor')).toHaveValue('kvm');
  await app.screenshot('configurator-host');

  await app.openTab('vms');
  await page.getByTestId('add-vm').click();
  await expect(page.getByTestId('vm-1')).toBeVisible();
  // The new VM has no device list, so the lab's default NVMe "nvme0" collides with vm0's: no field shows that path.
  await expect(app.problems()).toContainText(['vms.1.devices.0.name: duplicate device name "nvme0"']);
  await page.getByTestId('customize-vms.1.devices').click();
  await expect(app.fieldError('vms.1.devices.0.name')).toHaveText('duplicate device name "nvme0"');
  await app.setField('vms.1.devices.0.name', 'mlx0');
  await app.setField('vms.1.devices.0.kind', 'mlx5-vf');
  await app.setField('vms.1.devices.0.iommuGroup', '3');
  await page.getByTestId('add-device-0').click();
  await app.setField('vms.0.devices.1.name', 'nvme1');
  await expect(page.getByTestId('placement')).toContainText('mlx5-vf');
  await expect(page.getByTestId('placement').locator('tbody tr')).toHaveCount(3);
  await app.waitValid();
  await app.screenshot('configurator-vms');
  await page.getByTestId('remove-vm-1').click();
  await expect(page.getByTestId('vm-1')).toHaveCount(0);
});

test('workload kinds, an ops script, faults and cost overrides; start with Ctrl+Enter', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openNewRun();
  await app.setField('name', 'ops from the configurator');
  await app.setField('workload.kind', 'ops');
  await expect(app.fieldError('workload.steps')).toHaveText('Too small: expected array to have >=1 items');
  await page.getByTestId('add-step').click();
  // The lab's ops, layer by layer, each with its summary.
  expect(await app.opChoices(0).count()).toBeGreaterThanOrEqual(40);
  await expect(app.opChoices(0).first()).toHaveAttribute('value', 'vfio.map');
  await expect(app.opChoices(0).first()).toHaveAttribute('label', /^vfio · VFIO_IOMMU_MAP_DMA/);
  expect(await page.locator('#ops-0 option[value="hcall.H_PUT_TCE"]').getAttribute('label')).toMatch(/^hcall · H_PUT_TCE/);
  await app.setField('workload.steps.0.op', 'vfio.nosuch');
  await expect(app.fieldError('workload.steps.0.op')).toContainText('unknown op "vfio.nosuch"');
  await expect(app.opSummary(0)).toContainText('layers: vfio, iommufd');
  // An unknown op keeps its arguments as JSON; a known one gets a field per argument from its schema.
  await app.setField('workload.steps.0.args', '{"iova": "0x100000", ');
  await expect(app.fieldError('workload.steps.0.args')).toContainText('not valid JSON');
  await app.setField('workload.steps.0.args', '{"iova": "0x100000", "colour": 1}');
  await app.setField('workload.steps.0.op', 'vfio.map');
  await expect(app.opSummary(0)).toContainText('VFIO_IOMMU_MAP_DMA');
  await expect(app.field('workload.steps.0.args')).toHaveCount(0);
  await expect(app.field('workload.steps.0.args.iova')).toHaveValue('0x100000');
  await expect(app.fieldError('workload.steps.0.args.vaddr')).toHaveText('Invalid input');
  await expect(app.fieldDefault('workload.steps.0.args.container')).toContainText('container0');
  await expect(app.startButton()).toBeDisabled();
  await app.setField('workload.steps.0.args.size', 'lots');
  await expect(app.fieldError('workload.steps.0.args.size')).toContainText('hex');
  await app.setField('workload.steps.0.args.vaddr', '0x7f0000000000');
  await app.setField('workload.steps.0.args.size', '0x4000');
  await app.waitValid();
  await app.screenshot('configurator-workload-ops');

  await app.openTab('faults');
  await page.getByTestId('add-fault').click();
  await expect(app.fieldError('faults.0.pe')).toContainText('expected number');
  await app.screenshot('configurator-faults');
  await page.getByTestId('remove-fault-0').click();

  await app.openTab('costs');
  await expect(app.fieldDefault('costs.vmExitNs')).toContainText('1.5 us');
  await expect(app.fieldDefault('costs.vmExitNs')).toContainText('SplitX');
  await app.setField('costs.vmExitNs', '3000');
  await app.screenshot('configurator-costs');
  await app.field('costs.vmExitNs').focus();
  const runId = await app.startRunWithKeyboard();

  await app.waitForRunStatus('completed');
  await expect(app.opsRows()).toHaveCount(1);
  await expect(app.opsRows().first()).toContainText('vfio.map');
  await expect(app.opsRows().first()).toContainText('ok');
  await app.openRunInConfigurator();
  await expect(app.draftOrigin()).toHaveText(`from run ${runId}`);
  await expect(app.field('costs.vmExitNs')).toHaveValue('3000');
});

test('import and export scenario files', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openNewRun();
  await app.importScenario('bad.yaml', 'name: imported\nvms:\n  - vcpus: 0\n');
  await app.openTab('vms');
  await expect(app.fieldError('vms.0.vcpus')).toHaveText('Too small: expected number to be >=1');
  await app.importScenario('extra.json', '{"name": "imported", "colour": "blue"}');
  await expect(app.problems()).toContainText(['(root): Unrecognized key: "colour"']);

  await page.getByTestId('import-file').setInputFiles({ name: 'broken.yaml', mimeType: 'text/plain', buffer: Buffer.from('name: [x') });
  await expect(page.getByTestId('import-problem')).toContainText('broken.yaml: not valid JSON or YAML');

  await app.importScenario('good.yaml', 'name: round trip\ndurationMs: 5\nworkload: { kind: fio, iodepth: 8 }\n');
  await app.waitValid();
  const yamlFile = await app.exportScenario('yaml');
  expect(yamlFile.fileName).toBe('round-trip.yaml');
  expect(parse(yamlFile.text)).toEqual({ name: 'round trip', durationMs: 5, workload: { kind: 'fio', iodepth: 8 } });
  const jsonFile = await app.exportScenario('json');
  expect(jsonFile.fileName).toBe('round-trip.json');
  expect(JSON.parse(jsonFile.text)).toEqual({ name: 'round trip', durationMs: 5, workload: { kind: 'fio', iodepth: 8 } });
  await app.screenshot('configurator-imported');
});
