#!/usr/bin/env bash
# Install plantwatch on a plant-room box or a cloud server, by role, as docs/deployment.md says.
#
#   sudo deploy/install.sh cloud
#   sudo deploy/install.sh gateway gateway_config/north-library.yaml --register
#   sudo deploy/install.sh gateway north-library.yaml --token-file /tmp/north-library.token
#
# Roles: "cloud" installs plantwatch[cloud] and writes /etc/plantwatch/cloud.env (a random
# secret key, SQLite and embedded time series under /var/lib/plantwatch) unless it exists;
# "gateway CONFIG" installs plantwatch[edge], the config as /etc/plantwatch/<id>.yaml and the
# device profiles beside it, and the gateway's token (--token-file FILE, or --register with
# the cloud installed on this box). Both create the service user, the folders with their
# owners and modes (tokens and secrets 0600), and the systemd units; nothing is started.
#
# Options:
#   --root DIR       install under DIR instead of / (a trial or a test): every path written,
#                    in the units and the configs too, is under DIR
#   --python PATH    the Python the environment is made with (default: python3)
#   --user NAME      the service user (default: plantwatch)
#   --source DIR     the plantwatch checkout to install (default: this script's)
set -euo pipefail

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "install.sh: $*" >&2; exit 1; }

role="${1:-}"; shift || true
config=""
case "$role" in
  cloud) ;;
  gateway) config="${1:-}"; shift || true; [ -n "$config" ] || usage ;;
  *) usage ;;
esac

root=/ python=python3 user=plantwatch token_file="" register=0
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --source) source_dir="$2"; shift 2 ;;
    --token-file) token_file="$2"; shift 2 ;;
    --register) register=1; shift ;;
    *) usage ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (it creates a user, folders and units)"
root="$(cd "$root" && pwd)"
prefix="${root%/}"                       # "" for a real install
etc="$prefix/etc/plantwatch" state="$prefix/var/lib/plantwatch" opt="$prefix/opt/plantwatch"
venv="$opt/.venv"

# Paths written into units and configs live under the root too.
relocate() { sed -e "s#/opt/plantwatch#$opt#g" -e "s#/etc/plantwatch#$etc#g" -e "s#/var/lib/plantwatch#$state#g"; }

if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/plantwatch --no-create-home \
    --shell /usr/sbin/nologin "$user"
fi
group="$(id -gn "$user")"

umask 022
mkdir -p "$prefix/etc" "$prefix/var/lib" "$prefix/opt"   # leaves existing folders as they are
install -d -m 755 "$opt"
install -d -m 750 -o root -g "$group" "$etc"
install -d -m 750 -o "$user" -g "$group" "$state"
install -d -m 755 "$prefix/etc/systemd/system"

extra=$([ "$role" = cloud ] && echo cloud || echo edge)
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$source_dir[$extra]"

for unit in "$source_dir"/deploy/systemd/*.service; do
  relocate < "$unit" > "$prefix/etc/systemd/system/$(basename "$unit")"
  chmod 644 "$prefix/etc/systemd/system/$(basename "$unit")"
done

if [ "$role" = cloud ]; then
  if [ ! -f "$etc/cloud.env" ]; then
    secret="$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')"
    (umask 077; cat > "$etc/cloud.env") <<EOF
PLANTWATCH_ENVIRONMENT=production
PLANTWATCH_SECRET_KEY=$secret
PLANTWATCH_DATABASE_URL=sqlite:///$state/plantwatch.db
PLANTWATCH_EMBEDDED_TSDB_PATH=$state/timeseries.db
EOF
    chown root:root "$etc/cloud.env"
    chmod 600 "$etc/cloud.env"
  fi
  echo "cloud installed: $venv, settings $etc/cloud.env, unit plantwatch-cloud.service"
  exit 0
fi

# The gateway: its config (paths relocated), the profiles it names, its token.
[ -f "$config" ] || die "no gateway config $config"
id="$(basename "$config" .yaml)"
profiles_dir="$(sed -n 's/^profiles_dir: *//p' "$config")"
profiles_dir="${profiles_dir:-profiles}"
case "$profiles_dir" in /*) ;; *) profiles_dir="$(dirname "$config")/$profiles_dir" ;; esac
[ -d "$profiles_dir" ] || die "no device profiles at $profiles_dir (profiles_dir of $config)"
install -d -m 750 -o root -g "$group" "$etc/profiles"
install -m 640 -o root -g "$group" "$profiles_dir"/*.yaml "$etc/profiles/"
relocate < "$config" | sed -e "s#^profiles_dir: .*#profiles_dir: profiles#" > "$etc/$id.yaml"
grep -q '^profiles_dir:' "$etc/$id.yaml" || sed -i '1a profiles_dir: profiles' "$etc/$id.yaml"
chown root:"$group" "$etc/$id.yaml"
chmod 640 "$etc/$id.yaml"

token="$etc/$id.token"
if [ -n "$token_file" ]; then
  install -m 600 -o "$user" -g "$group" "$token_file" "$token"
elif [ "$register" = 1 ]; then
  [ -f "$etc/cloud.env" ] || die "--register needs the cloud on this box: install.sh cloud first"
  ( set -a; . "$etc/cloud.env"; set +a; umask 077
    cd "$state" && runuser -u "$user" -- "$venv/bin/plantwatch" cloud gateway create "$id" > "$token.new" )
  install -m 600 -o "$user" -g "$group" "$token.new" "$token"
  rm -f "$token.new"
fi
if [ -f "$token" ]; then
  runuser -u "$user" -- "$venv/bin/plantwatch" gateway check "$etc/$id.yaml" >/dev/null
else
  echo "no token yet: put the one 'plantwatch cloud gateway create $id' printed in $token (mode 600, owner $user)"
  runuser -u "$user" -- "$venv/bin/plantwatch" gateway check --skip-files "$etc/$id.yaml" >/dev/null
fi
echo "gateway $id installed: $etc/$id.yaml, unit plantwatch-gateway@$id.service"
