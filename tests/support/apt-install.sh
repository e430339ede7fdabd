#!/bin/sh
# Installs Debian packages for the protocol tests without starting their services.
# Usage: apt-install.sh PACKAGE...   Exit 0: installed; exit 75: the package registry is
# unreachable (the caller prints a loud SKIPPED); any other status: a real failure.
set -u
missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "apt-install.sh: need root to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! apt-get update >"$log" 2>&1 || grep -qE "^(W|E): (Failed to fetch|Some index files failed)" "$log"; then
    cat "$log" >&2
    grep -qE "Temporary failure resolving|Could not resolve|Failed to fetch|Network is unreachable|Connection timed out|Could not connect" "$log" && exit 75
    exit 1
fi
# Install without starting any service: a policy-rc.d that says no, removed after.
policy=/usr/sbin/policy-rc.d
had_policy=no
[ -e "$policy" ] && had_policy=yes
[ "$had_policy" = no ] && printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing >"$log" 2>&1
status=$?
[ "$had_policy" = no ] && rm -f "$policy"
if [ $status != 0 ]; then
    cat "$log" >&2
    grep -qE "Temporary failure resolving|Could not resolve|Failed to fetch|Network is unreachable|Connection timed out|Could not connect" "$log" && exit 75
    exit 1
fi
exit 0
