/** Configuration keys of the gpu collector. */
import { defineKeys } from '../../config/schema';

export const gpuKeys = defineKeys([
  {
    key: 'collectors.gpu.nvml_library',
    type: 'string',
    default: 'libnvidia-ml.so.1',
    help: 'NVML library the gpu collector loads at run time (a name the dynamic loader searches, or a path); empty leaves NVIDIA GPUs out. Without the library the collector reports no NVIDIA data.',
  },
  {
    key: 'collectors.gpu.timeout',
    type: 'duration',
    default: 2000,
    min: 10,
    help: 'Deadline of one NVML collection; past it the run reports no NVIDIA data and, until the driver answers, later runs do not call NVML again.',
  },
  {
    key: 'collectors.gpu.visible_devices',
    type: 'string',
    default: '',
    help: 'NVIDIA GPUs to report, as indices or UUIDs separated by commas (all, none); empty follows NVIDIA_VISIBLE_DEVICES, so a sidecar reports only the GPUs given to its pod.',
  },
]);
