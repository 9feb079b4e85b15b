/** Errors that the program reports to its caller, and their CNI codes. */

/** Error codes of the CNI specification, plus ovn-mesos' own (100+). */
export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  NotAvailable: 50,
  NotAvailableLimited: 51,
  /** ovn-mesos: an OVN/OVS/ip command failed. */
  OvnFailure: 100,
  /** ovn-mesos: the port was not bound by ovn-controller in time. */
  BindTimeout: 101,
  /** ovn-mesos: CHECK found the attachment different from what ADD made. */
  CheckFailed: 102,
  /** ovn-mesos: anything unexpected. */
  Internal: 999,
} as const;

/** An error that prints itself as the CNI error JSON. */
export class CniError extends Error {
  override name = "CniError";
  constructor(readonly code: number, msg: string, readonly details = "") {
    super(msg);
  }
  /** The error object of the CNI specification. */
  toJSON(cniVersion: string): Record<string, unknown> {
    const out: Record<string, unknown> = { cniVersion, code: this.code, msg: this.message };
    if (this.details) out.details = this.details;
    return out;
  }
}

/** Bad command-line use or bad input to a driver subcommand: exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A driver subcommand that cannot do its job (exit status 1). */
export class DriverError extends Error {
  override name = "DriverError";
}

/**
 * The process is in a state it must not go on from (e.g. stuck in another
 * network namespace): the entry answers and exits with {@link FatalError.exitCode}.
 */
export class FatalError extends Error {
  override name = "FatalError";
  readonly exitCode = 70;
}
