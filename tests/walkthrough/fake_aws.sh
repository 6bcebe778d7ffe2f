#!/usr/bin/env bash
# A stand-in `aws` for the generated setup script: it keeps the resources it "created" in
# $FAKE_DIR/live (id, owner, the create call) so a test can check what a run, a resume and a
# cleanup leave behind. Like AWS, it refuses to delete something another resource still
# names (a VPC with subnets, an Elastic IP under a NAT gateway, a group another group's rule
# references). FAKE_FAIL_CALL=k makes the k-th creating call fail.
set -u
live="$FAKE_DIR/live"
touch "$live" "$FAKE_DIR/calls"
echo "$*" >>"$FAKE_DIR/calls"
while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do shift 2; done  # --region, --endpoint-url
svc=$1 op=$2
shift 2
args="$*"

flag() {  # flag NAME: the value after --NAME
  local f=$1 prev=""
  for a in "${@:2}"; do
    [ "$prev" = "$f" ] && { echo "$a"; return; }
    prev=$a
  done
}
fail() { echo "An error occurred ($1) when calling the $op operation: $2" >&2; exit 254; }
new_id() {
  local n
  n=$(($(cat "$FAKE_DIR/counter" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$FAKE_DIR/counter"
  printf '%s%08x' "$1" "$n"
}
add() { printf '%s\t%s\t%s\n' "$1" "$2" "$op $args" >>"$live"; }
has() { cut -f1 "$live" | grep -qxF -- "$1"; }
remove() {  # remove ID: refuse while another live entry (not owned by it) names it
  local id=$1
  has "$id" || fail "InvalidID.NotFound" "$id does not exist"
  if awk -F'\t' -v id="$id" '$1 != id && $2 != id && index($3, id) { f = 1 } END { exit !f }' \
    "$live"; then
    fail "DependencyViolation" "$id has dependencies and cannot be deleted"
  fi
  awk -F'\t' -v id="$id" '$1 != id && $2 != id' "$live" >"$live.tmp" && mv "$live.tmp" "$live"
}

case "$op" in
  create-* | allocate-address | associate-route-table | attach-internet-gateway | authorize-*)
    n=$(($(cat "$FAKE_DIR/mutations" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$FAKE_DIR/mutations"
    if [ "${FAKE_FAIL_CALL:-0}" = "$n" ]; then
      fail "InternalError" "injected failure of call $n"
    fi
    ;;
esac

case "$op" in
  create-vpc) id=$(new_id vpc-); add "$id" -; echo "$id" ;;
  create-internet-gateway) id=$(new_id igw-); add "$id" -; echo "$id" ;;
  create-egress-only-internet-gateway) id=$(new_id eigw-); add "$id" -; echo "$id" ;;
  create-subnet) id=$(new_id subnet-); add "$id" -; echo "$id" ;;
  create-route-table) id=$(new_id rtb-); add "$id" -; echo "$id" ;;
  allocate-address) id=$(new_id eipalloc-); add "$id" -; echo "$id" ;;
  create-nat-gateway) id=$(new_id nat-); add "$id" -; echo "$id" ;;
  create-vpc-endpoint) id=$(new_id vpce-); add "$id" -; echo "$id" ;;
  create-security-group) id=$(new_id sg-); add "$id" -; echo "$id" ;;
  create-load-balancer)
    id=$(new_id arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/)
    add "$id" -; echo "$id" ;;
  create-target-group)
    id=$(new_id arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/)
    add "$id" -; echo "$id" ;;
  create-listener)
    id=$(new_id arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/)
    add "$id" -; echo "$id" ;;
  associate-route-table)
    id=$(new_id rtbassoc-); add "$id" "$(flag --subnet-id "$@")"; echo "$id" ;;
  attach-internet-gateway)
    add "$(new_id attach-)" "$(flag --internet-gateway-id "$@")" ;;
  create-route)
    add "$(new_id route-)" "$(flag --route-table-id "$@")"; echo True ;;
  authorize-security-group-ingress)
    add "$(new_id rule-)" "$(flag --group-id "$@")"; echo True ;;
  delete-vpc) remove "$(flag --vpc-id "$@")" ;;
  delete-internet-gateway) remove "$(flag --internet-gateway-id "$@")" ;;
  detach-internet-gateway)
    igw=$(flag --internet-gateway-id "$@")
    awk -F'\t' -v g="$igw" '!($3 ~ /^attach-internet-gateway/ && $2 == g)' "$live" >"$live.tmp"
    mv "$live.tmp" "$live" ;;
  delete-egress-only-internet-gateway) remove "$(flag --egress-only-internet-gateway-id "$@")" ;;
  delete-subnet) remove "$(flag --subnet-id "$@")" ;;
  delete-route-table) remove "$(flag --route-table-id "$@")" ;;
  disassociate-route-table) remove "$(flag --association-id "$@")" ;;
  release-address) remove "$(flag --allocation-id "$@")" ;;
  delete-nat-gateway) remove "$(flag --nat-gateway-id "$@")" ;;
  delete-vpc-endpoints) remove "$(flag --vpc-endpoint-ids "$@")" ;;
  delete-security-group) remove "$(flag --group-id "$@")" ;;
  delete-load-balancer) remove "$(flag --load-balancer-arn "$@")" ;;
  delete-target-group) remove "$(flag --target-group-arn "$@")" ;;
  delete-listener) remove "$(flag --listener-arn "$@")" ;;
  describe-vpcs)
    case "$args" in
      *Ipv6CidrBlockAssociationSet*) echo "2600:1f18:ab:cd00::/56" ;;
      *--filters*)
        name=$(flag --filters "$@"); name=${name#*Values=}
        awk -F'\t' -v n="Value=$name}]" '$3 ~ /^create-vpc / && index($3, n) { print $1 }' "$live"
        ;;
      *) id=$(flag --vpc-ids "$@"); has "$id" && echo available || fail "InvalidVpcID.NotFound" "$id does not exist" ;;
    esac ;;
  describe-*)
    id=""
    for a in "$@"; do case "$a" in --*-ids | --*-arns) id=$(flag "$a" "$@") ;; esac; done
    if [ -z "$id" ]; then fail "UnsupportedByFake" "$op without ids"; fi
    has "$id" && echo "$id" || fail "InvalidID.NotFound" "$id does not exist" ;;
  wait | modify-*) ;;
  *) fail "UnsupportedByFake" "$svc $op" ;;
esac
