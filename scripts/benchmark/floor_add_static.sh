#!/bin/sh
# The floor for a CNI ADD with the plugin's own design (used by scripts/bench):
# the least that can attach a container to an OVN logical switch with the
# stock tools when the address is chosen by the caller, as one shell script.
# The same OVN work as ovn-mesos-plugin's ADD and nothing else, all at once:
#   - one NB transaction creating the port whole: its static "MAC IP" address,
#     port security on it and the host's external_ids (one pass of northd);
#   - the veth, created straight into the container with its MTU, then at once:
#     TX checksum offload off inside (userspace datapath), one OVS call
#     plugging the host end into br-int with iface-id, and one `ip -batch` in
#     the container (MAC, address, up, lo up, default route): the address is
#     known, nothing waits for NB;
#   - ready when ovn-controller has installed the port's flows on this host:
#     one `ovs-vsctl wait-until` on the Interface's external_ids:ovn-installed,
#     started at once (it waits for the row to exist, then for the key).
# The port carries the host's external_ids key (the plugin's ADD reads which
# addresses this host's ports hold; the floor's count too). The caller chooses the address (as the plugin does, without a read here: a
# stateful IPAM needs none). No locking, no idempotency, no rollback, no
# logging, no JSON parsing.
#
# usage: floor_add_static.sh NB_REMOTE OVS_DB SWITCH PREFIX_LEN GATEWAY MTU LSP HOST_VETH NETNS_PATH IFNAME MAC IP HOST_ID [TIMEOUT_S]
# prints: {"ip4":{"ip":"A.B.C.D/N","gateway":"G"},"mac":"M"}
nb=$1 ovsdb=$2 sw=$3 plen=$4 gw=$5 mtu=$6 lsp=$7 veth=$8 ns=$9 ifn=${10} mac=${11} ip=${12}
host=${13} tmo=${14:-30}
if [ -z "$host" ]; then
  echo "usage: $0 NB_REMOTE OVS_DB SWITCH PREFIX_LEN GATEWAY MTU LSP HOST_VETH NETNS_PATH IFNAME MAC IP HOST_ID [TIMEOUT_S]" >&2
  exit 2
fi

ovs-vsctl --db="$ovsdb" --timeout="$tmo" --no-wait -- wait-until Interface "$veth" \
  external_ids:ovn-installed=true &
installed=$!
fail() {
  kill "$installed" 2>/dev/null
  exit 1
}

ovn-nbctl --db="$nb" --timeout=10 -- lsp-add "$sw" "$lsp" \
  -- lsp-set-addresses "$lsp" "$mac $ip" \
  -- lsp-set-port-security "$lsp" "$mac $ip" \
  -- set Logical_Switch_Port "$lsp" external_ids:\"ovn-mesos/host\"="$host" &
port=$!

ip link add "$veth" mtu "$mtu" up type veth peer name "$ifn" mtu "$mtu" netns "$ns" || fail
nsenter --net="$ns" ethtool -K "$ifn" tx off >/dev/null &
e=$!
# `ip -n NAME` opens /var/run/netns/NAME: climb out of it to reach the bind-mounted path.
printf 'link set dev %s address %s\naddr add %s/%s dev %s\nlink set dev %s up\nlink set dev lo up\nroute add default via %s dev %s\n' \
  "$ifn" "$mac" "$ip" "$plen" "$ifn" "$ifn" "$gw" "$ifn" | ip -n "../../../..$ns" -batch - &
c=$!
# --no-wait: ovs-vswitchd's reconfiguration is covered by waiting for ovn-installed
ovs-vsctl --db="$ovsdb" --timeout=10 --no-wait -- add-port br-int "$veth" \
  -- set Interface "$veth" external_ids:iface-id="$lsp" || fail
wait $e || fail
wait $c || fail
wait $port || fail
wait $installed || exit 1
printf '{"ip4":{"ip":"%s/%s","gateway":"%s"},"mac":"%s"}\n' "$ip" "$plen" "$gw" "$mac"
