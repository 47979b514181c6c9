/**
 * The host roots every reader of /proc, /sys and the root filesystem goes through (`path.procfs`, `path.sysfs`,
 * `path.rootfs`), so a containerised agent reads the host's files under a bind mount and tests read a fake tree.
 * They are resolved from the configuration once, in core/options.ts.
 */
export interface Paths {
  procfs: string;
  sysfs: string;
  rootfs: string;
}
