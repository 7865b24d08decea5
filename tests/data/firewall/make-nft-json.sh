#!/bin/bash
# Regenerates the `nft -j list ruleset` fixtures (*.nft.json) of
# tests/data/firewall: each ruleset is loaded with nft (and iptables-nft
# where a fixture needs iptables-nft's own table) in a throwaway network
# namespace and dumped as nft prints it. Run as root from anywhere;
# malformed.nft.json is hand-made and not touched.
set -euo pipefail

DIR=$(cd "$(dirname "$0")" && pwd)
NS=cd-nftjson-$$
ip netns add "$NS"
trap 'ip netns delete "$NS"' EXIT
nsx() { ip netns exec "$NS" "$@"; }

# dump NAME: loads the nft ruleset on stdin into a clean namespace; the
# commands after the name (iptables-nft ...) run after it; then dumps.
dump() {
  local name=$1
  shift
  nsx nft flush ruleset
  nsx iptables-nft -F 2>/dev/null || true
  nsx nft -f -
  while [ $# -gt 0 ]; do
    eval "nsx $1"
    shift
  done
  nsx nft -j list ruleset >"$DIR/$name.nft.json"
  echo >>"$DIR/$name.nft.json"
  echo "wrote $name.nft.json"
}

# Recipe 7 as a native nft table: the replica accepts the primary's
# packets only as ESTABLISHED.
RECIPE7='table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
		ct state invalid drop
		tcp dport 3306 ct state new accept
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}'
dump replica-established-only <<<"$RECIPE7"

# The same with the stateless fix for the primary 192.0.2.10.
dump replica-fixed \
  "nft add rule inet filter input ip saddr 192.0.2.10 tcp sport 3306 accept" \
  <<<"$RECIPE7"

# Native tables beside iptables-nft's own "ip filter": a verdict map, a
# named set, a user chain, sets of protocols and port ranges.
dump mixed \
  "iptables-nft -P INPUT DROP" \
  "iptables-nft -A INPUT -i lo -j ACCEPT" \
  "iptables-nft -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
  "iptables-nft -A INPUT -p tcp --dport 3306 -m conntrack --ctstate NEW -j ACCEPT" <<'NFT'
table inet filter {
	set allowed {
		type ipv4_addr
		elements = { 192.0.2.10, 192.0.2.11 }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state vmap { invalid : drop, established : accept, related : accept }
		iifname "lo" accept
		tcp flags syn / syn,ack tcp dport 3306 jump mysql_new
		ip saddr @allowed tcp sport 3306 accept comment "primaries"
		meta l4proto { tcp, udp } th dport 53 accept
		ip6 saddr 2001:db8::/32 tcp sport { 3306-3309 } counter accept
	}
	chain mysql_new {
		meta l4proto tcp ip saddr != 192.0.2.0/24 log prefix "mysql refused: " reject with tcp reset
		accept
	}
}
table ip6 raw6 {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
	}
}
NFT

# One rule of each form the reader knows, and tables it leaves out
# (dormant, netdev, arp, a nat chain).
dump shapes <<'NFT'
table ip t4 {
	chain c {
		type filter hook output priority filter - 10; policy accept;
		tcp flags syn accept
		tcp flags == syn accept
		tcp flags & (syn|ack) == syn accept
		tcp flags & (fin|syn|rst|ack) != syn drop
		oifname "eth*" tcp dport != { 22, 3306 } drop
		oifname != "lo" ip daddr { 10.0.0.0/8, 192.168.1.1 } drop
		ip daddr 10.1.1.1-10.1.1.9 drop
		ip protocol tcp ct state new,untracked accept
		ct state != established drop
		meta mark set 1 ct mark set 2 notrack
		limit rate 10/second accept
		tcp dport 3306 reject
		tcp dport 3308 goto u
		tcp dport 3309 return
		tcp dport 3310 continue
		log level warn prefix "x" counter
		udp dport 53 accept comment "dns"
		tcp sport 1000-2000 accept
		tcp dport { 3306-3310, 4000 } accept
		ip saddr 192.0.2.0/24 tcp dport vmap { 3306 : accept, 3307 : jump u }
	}
	chain u {
		ip protocol udp accept
	}
}
table inet t46 {
	chain u {
		meta nfproto ipv6 ip6 nexthdr tcp accept
	}
}
table ip6 t6 {
	flags dormant
	chain in { type filter hook input priority 0; policy drop; }
}
table netdev nd {
	chain ing { type filter hook ingress device lo priority 0; policy accept; }
}
table arp a {
	chain in { type filter hook input priority 0; policy accept; }
}
table inet nat {
	chain pre { type nat hook prerouting priority dstnat; policy accept; }
}
NFT
