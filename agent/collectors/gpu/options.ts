/**
 * The gpu collector's settings (gpu/keys.ts), parsed once per configuration and looked up by each collection (as
 * the host collectors' options are: a reload hands the runner a new configuration, which gets its own).
 */
import type { Config } from '../../config/config';

export interface GpuConfigOptions {
  /** The NVML library dlopen()ed; empty: NVIDIA GPUs are not read. */
  nvmlLibrary: string;
  /** Deadline of one NVML collection (ms). */
  timeoutMs: number;
  /** Which NVIDIA devices are reported; empty: NVIDIA_VISIBLE_DEVICES decides. */
  visibleDevices: string;
}

export function optionsFrom(config: Config): GpuConfigOptions {
  return {
    nvmlLibrary: config.string('collectors.gpu.nvml_library'),
    timeoutMs: config.number('collectors.gpu.timeout'),
    visibleDevices: config.string('collectors.gpu.visible_devices'),
  };
}

const parsed = new WeakMap<Config, GpuConfigOptions>();

/** The options of `config`, parsed on first use and kept for as long as the configuration lives. */
export function gpuOptions(config: Config): GpuConfigOptions {
  let o = parsed.get(config);
  if (o === undefined) {
    o = optionsFrom(config);
    parsed.set(config, o);
  }
  return o;
}
