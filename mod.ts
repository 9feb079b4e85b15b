/**
 * ovn-mesos: Apache Mesos containers on an OVN overlay network. One program:
 * the overlay driver (`ovn-mesos-overlay-driver`) and the CNI plugin
 * (`ovn-mesos-plugin`), chosen by the name it is invoked under.
 *
 * @module
 */
import { main } from "./src/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
