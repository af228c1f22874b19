// Stemforge — the compute shaders embedded in the binary.
//
// Every shaders/NAME.comp is compiled by glslc at build time; its SPIR-V is
// linked into stemforge_shaders and found here by NAME (the file name
// without ".comp"), e.g. spirv("gain_clip").
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace sf::shaders {

// The SPIR-V words of shaders/<name>.comp; empty when no such shader exists.
std::span<const uint32_t> spirv(std::string_view name);

}  // namespace sf::shaders
