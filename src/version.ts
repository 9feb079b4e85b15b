/** The program's version, printed by `--version` and recorded in external_ids. */
export const VERSION = "0.1.0";

/** Every CNI specification version the plugin speaks. */
export const CNI_VERSIONS = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
] as const;
