#!/usr/bin/env bash
# Installs dcsim's build and test dependencies from Debian 12's packages only.
# Idempotent: packages already present are skipped, so a second run costs a few seconds.
# Usage: scripts/install-deps.sh [--with-hpc]   (--with-hpc adds OpenMPI and Slurm for sweep tests)
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build pkg-config git
  libsimgrid-dev libboost-graph-dev libhdf5-dev hdf5-tools
  libyaml-dev libcli11-dev catch2 libbenchmark-dev time
  clang libclang-rt-14-dev clang-tidy clang-format
  python3 python3-h5py python3-xarray python3-h5netcdf python3-netcdf4 netcdf-bin
  python3-pandas python3-matplotlib python3-pytest python3-yaml python3-scipy
  jupyter-nbconvert python3-nbclient python3-ipykernel python3-nbformat
  openmpi-bin libopenmpi-dev slurm-wlm munge
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
