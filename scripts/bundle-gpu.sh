#!/bin/sh
# Bundles build/bin/stemforge and the shared libraries it needs (per ldd,
# minus the C library and the dynamic loader, which the device machine has)
# into an ignored folder for the GPU device machine (see GPU-DEVICE.md):
#
#   scripts/bundle-gpu.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, .bundle — ignored by .gitignore)
#
# On the device machine (after the Vulkan loader debs of .gl/ are unpacked):
#   LD_LIBRARY_PATH=$PWD/.bundle/lib .bundle/bin/stemforge devices
# The Vulkan loader itself (libvulkan.so.1) is left out on purpose: it comes
# from the .gl/ packages so that it matches the machine's NVIDIA driver.
set -eu
build=${1:-build}
out=${2:-.bundle}
bin="$build/bin/stemforge"
[ -x "$bin" ] || { echo "bundle-gpu: $bin not built (cmake --build $build --target stemforge)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
cp "$bin" "$out/bin/"
for t in parity_tests gpu_tests; do
    [ -x "$build/bin/$t" ] && cp "$build/bin/$t" "$out/bin/"
done
for exe in "$out"/bin/*; do
    ldd "$exe" | awk '/=> \// { print $3 }'
done | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libvulkan.so.*) ;;  # from the machine / .gl
        *) cp -L "$lib" "$out/lib/" ;;
    esac
done
du -sh "$out"
