// The libFuzzer entry point of one fuzzer: STEMFORGE_FUZZ_BODY names the
// body (tests/fuzz/CMakeLists.txt builds this file once per fuzzer).
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return sf::fuzz::STEMFORGE_FUZZ_BODY(data, size); }
