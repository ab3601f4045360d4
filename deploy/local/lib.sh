# Shell functions shared by infra.sh and cluster.sh (sourced; each defines log and die first).

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Install Debian packages "$@" without letting their maintainer scripts start the packaged
# services (with their default, all-interfaces configuration): the scripts start them themselves.
apt_install() {
  log "installing $* (apt-get)"
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; } || rc=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get failed (rc=$rc)"
}

# Write $2 to file $1 only if it differs; returns 0 when the file changed.
write_if_changed() {
  local file=$1 content=$2
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file"
  log "wrote $file"
  return 0
}
