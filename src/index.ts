/** shoot-runtimes as a library: the constructs, the catalog, the model and the pipeline. */
export * from './model/container-runtime';
export * from './catalog';
export * from './constructs/labels';
export * from './constructs/installer-support';
export * from './constructs/installer-daemon-set';
export * from './constructs/container-runtime-installation';
export * from './constructs/shoot-runtimes-chart';
export { installerEnvironment, runtimeTables } from './installer/environment';
export { installerScript, INSTALLER_SCRIPT_PATH } from './installer/script';
export { renderRuntimeConfig } from './catalog/runtime-config';
export { runPipeline, PipelineOptions, PipelineResult, PipelineSummary } from './pipeline/run';
export { loadPipelineFile, PipelineFile } from './pipeline/pipeline-file';
export { renderShoot, RenderedFile, shootDirectory, toYaml } from './output/render';
export { applyPlan, WriteResult } from './output/write';
export { planTree, TreePlan } from './output/plan';
export { checkReport } from './output/check';
export { Diagnostic, InputError, formatDiagnostic } from './diagnostics';
