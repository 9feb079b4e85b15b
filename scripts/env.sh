# shellcheck shell=bash
# Source me:  . scripts/env.sh
# Puts the project's Deno (.tools/node_modules/.bin, installed by scripts/setup) first on
# PATH when present, and keeps Deno's cache (DENO_DIR) outside the repo.
_ovn_mesos_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
if [ -x "$_ovn_mesos_root/.tools/node_modules/.bin/deno" ]; then
  case ":$PATH:" in
    *":$_ovn_mesos_root/.tools/node_modules/.bin:"*) ;;
    *) PATH="$_ovn_mesos_root/.tools/node_modules/.bin:$PATH" ;;
  esac
fi
# sbin dirs too: ip, ovs-vsctl's friends, sysctl (non-login shells may lack them)
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH
export DENO_DIR="${DENO_DIR:-${HOME:-/root}/.cache/ovn-mesos-deno}"
export DENO_NO_UPDATE_CHECK=1
unset _ovn_mesos_root
