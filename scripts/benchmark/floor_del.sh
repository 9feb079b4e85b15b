#!/bin/sh
# The floor for a CNI DEL (used by scripts/bench): the least that undoes
# floor_add.sh with the stock tools. The same work as
# ovn-mesos-plugin's DEL and nothing else, all three at once: the NB port, the
# OVS port, the veth pair (deleting the host end takes the container end too).
#
# usage: floor_del.sh NB_REMOTE OVS_DB LSP HOST_VETH
nb=$1 ovsdb=$2 lsp=$3 veth=$4
if [ -z "$veth" ]; then
  echo "usage: $0 NB_REMOTE OVS_DB LSP HOST_VETH" >&2
  exit 2
fi
ovn-nbctl --db="$nb" --timeout=10 --if-exists lsp-del "$lsp" &
a=$!
ovs-vsctl --db="$ovsdb" --timeout=10 --no-wait --if-exists del-port "$veth" &
b=$!
ip link del "$veth" 2>/dev/null
wait $a || exit 1
wait $b || exit 1
