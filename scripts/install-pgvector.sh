#!/usr/bin/env bash
# Builds and installs the pgvector extension for the local PostgreSQL from
# Debian's own source package of a newer release (the running release does not
# package it). It reuses the mirror already configured in the apt sources.
# Idempotent: does nothing when the extension is already installed.
set -euo pipefail

pg_major=${PG_MAJOR:-$(pg_config --version 2>/dev/null | sed -E 's/[^0-9]*([0-9]+).*/\1/' || true)}
if [ -z "${pg_major}" ]; then
  pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
fi
sharedir="/usr/share/postgresql/${pg_major}/extension"
if [ -f "${sharedir}/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL ${pg_major}"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
newer=${PGVECTOR_SUITE:-trixie}

# The mirror URI of the configured Debian sources (deb822 or one-line format).
mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
if [ -z "${mirror}" ]; then
  mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{print $2}' | head -1 || true)
fi
if [ -z "${mirror}" ]; then
  echo "pgvector: no Debian mirror found in the apt sources" >&2
  exit 1
fi

# Build tools from the running release.
if ! dpkg -s "postgresql-server-dev-${pg_major}" dpkg-dev make gcc >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq "postgresql-server-dev-${pg_major}" dpkg-dev make gcc >/dev/null
fi

# The source package of the newer release, through a source list used for
# this download only: it is removed afterwards so later apt runs do not fetch
# the newer release's index.
list=/etc/apt/sources.list.d/posbot-pgvector-src.list
work=$(mktemp -d)
trap 'rm -rf "${work}" "${list}"' EXIT
echo "deb-src ${mirror} ${newer} main" > "${list}"
apt-get update -qq -o Dir::Etc::sourcelist="${list}" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
cd "${work}"
apt-get source -qq --download-only pgvector
dpkg-source -x --no-check ./pgvector_*.dsc src >/dev/null
cd src
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" OPTFLAGS=""
make -s install PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config"
echo "pgvector: installed $(grep default_version vector.control | tr -d "'" ) for PostgreSQL ${pg_major}"
