#!/usr/bin/env bash
# Installs every Debian package Stemforge needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped, so a
# prepared machine pays only for a dpkg query. Run as root (or with sudo).
#   scripts/install-deps.sh            every package below
#   scripts/install-deps.sh PKG...     only these (scripts/slurm-local.sh asks for Slurm this way)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config time
  # Vulkan compute: loader, shader compiler, software device, validation
  libvulkan-dev glslc spirv-tools mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  # FFT on GPU (VkFFT needs glslang) and on CPU
  libvkfft-dev glslang-dev glslang-tools libfftw3-dev
  # audio files and resampling
  libsndfile1-dev libsoxr-dev
  # workstation UI, its playback (PortAudio over ALSA) and its tests
  # (a real window under Xvfb driven by xdotool, text read back by tesseract)
  libimgui-dev libglfw3-dev libstb-dev fonts-dejavu-core xvfb xauth
  portaudio19-dev libasound2-dev libasound2-plugins alsa-utils
  xdotool tesseract-ocr imagemagick
  # session / report JSON, CLI, images, threads
  nlohmann-json3-dev libcli11-dev libpng-dev libtbb-dev
  # tests, benchmarks and the independent oracles
  libgtest-dev libgmock-dev libbenchmark-dev libebur128-dev ffmpeg
  # tag readers for the delivery tests: metaflac (FLAC), mutagen (ID3 in MP3/WAV/AIFF)
  flac python3-mutagen
  # the qc HTML report, loaded in a headless browser by its tests
  chromium
  # scale-out: `stemforge batch --engine slurm`, and the one-node cluster of
  # scripts/slurm-local.sh that its tests start (the daemons are not started here)
  slurm-wlm munge
  # the fuzzers: libFuzzer + ASan/UBSan runtimes (clang 16: clang 14 cannot
  # compile libstdc++ 12's std::expected)
  clang-16 libclang-rt-16-dev
)
if [ $# -gt 0 ]; then packages=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Other installers may hold the dpkg lock for a while (a CI image warming up).
$SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
