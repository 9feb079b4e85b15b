#!/bin/sh
# The floor for a CNI ADD (used by scripts/bench): the least that can attach a
# container to an OVN logical switch with the stock tools, as one shell script.
# The same work as ovn-mesos-plugin's ADD and nothing else:
#   - one NB transaction creating the port with a dynamic address,
#     then one NB read waiting for northd's address;
#   - at the same time: the veth, created straight into the container with its
#     MTU, TX checksum offload off inside (userspace datapath), and one OVS
#     call plugging the host end into br-int with iface-id (the OVS call and the
#     ethtool step run at once: both only need the veth);
#   - then at once: one `ip -batch` in the container (MAC, address, up, lo up,
#     default route) and one NB transaction pinning port security and waiting
#     until ovn-controller has bound the port (up=true).
# No locking, no idempotency, no rollback, no logging, no JSON parsing.
#
# usage: floor_add.sh NB_REMOTE OVS_DB SWITCH PREFIX_LEN GATEWAY MTU LSP HOST_VETH NETNS_PATH IFNAME
# prints: {"ip4":{"ip":"A.B.C.D/N","gateway":"G"},"mac":"M"}
nb=$1 ovsdb=$2 sw=$3 plen=$4 gw=$5 mtu=$6 lsp=$7 veth=$8 ns=$9 ifn=${10}
if [ -z "$ifn" ]; then
  echo "usage: $0 NB_REMOTE OVS_DB SWITCH PREFIX_LEN GATEWAY MTU LSP HOST_VETH NETNS_PATH IFNAME" >&2
  exit 2
fi

{
  ip link add "$veth" mtu "$mtu" up type veth peer name "$ifn" mtu "$mtu" netns "$ns" || exit 1
  nsenter --net="$ns" ethtool -K "$ifn" tx off >/dev/null &
  e=$!
  # --no-wait: ovs-vswitchd's reconfiguration is covered by waiting for up=true below
  ovs-vsctl --db="$ovsdb" --timeout=10 --no-wait -- add-port br-int "$veth" \
    -- set Interface "$veth" external_ids:iface-id="$lsp" || exit 1
  wait $e
} &
host=$!

addr=$(ovn-nbctl --db="$nb" --timeout=10 -- lsp-add "$sw" "$lsp" \
  -- lsp-set-addresses "$lsp" dynamic &&
  ovn-nbctl --db="$nb" --timeout=10 --bare \
    -- wait-until Logical_Switch_Port "$lsp" 'dynamic_addresses!=[]' \
    -- get Logical_Switch_Port "$lsp" dynamic_addresses) || exit 1
wait $host || exit 1
addr=${addr#\"}
addr=${addr%\"}
mac=${addr%% *}
ip=${addr##* }

# `ip -n NAME` opens /var/run/netns/NAME: climb out of it to reach the bind-mounted path.
printf 'link set dev %s address %s\naddr add %s/%s dev %s\nlink set dev %s up\nlink set dev lo up\nroute add default via %s dev %s\n' \
  "$ifn" "$mac" "$ip" "$plen" "$ifn" "$ifn" "$gw" "$ifn" | ip -n "../../../..$ns" -batch - &
c=$!
ovn-nbctl --db="$nb" --timeout=30 -- lsp-set-port-security "$lsp" "$mac $ip" \
  -- wait-until Logical_Switch_Port "$lsp" up=true || exit 1
wait $c || exit 1
printf '{"ip4":{"ip":"%s/%s","gateway":"%s"},"mac":"%s"}\n' "$ip" "$plen" "$gw" "$mac"
