// Stemforge fuzzers — what every fuzz body shares (docs/robustness.md).
//
// A fuzz body is a plain function `int sf::fuzz::<name>_input(data, size)`:
// libFuzzer calls it through fuzz_entry.cpp (one binary per body, built with
// -DSTEMFORGE_FUZZ=ON), and the replay test (replay_test.cpp) calls it on
// every committed seed and regression input in every ordinary build. A body
// checks the contract of the code it drives (FUZZ_CHECK); a broken rule
// prints the rule and aborts, so libFuzzer saves the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace sf::fuzz {

int session_input(const uint8_t* data, size_t size);
int audio_input(const uint8_t* data, size_t size);
int ir_input(const uint8_t* data, size_t size);
int cue_input(const uint8_t* data, size_t size);
int cli_input(const uint8_t* data, size_t size);
int album_input(const uint8_t* data, size_t size);
int batch_input(const uint8_t* data, size_t size);
int manifest_input(const uint8_t* data, size_t size);

// Called by the CLI fuzzer's stand-ins for the run_* commands.
void command_ran();

// Prints "fuzz: contract broken: <rule>: <detail>" on stderr and aborts.
[[noreturn]] void violated(const char* rule, const std::string& detail);

// A scratch file of this process for bodies that need a path (libsndfile
// opens files by name): `<tmp>/stemforge-fuzz-<pid>-<tag>`, rewritten with
// `data` on each call, removed at exit. In /dev/shm when it exists, so a
// fuzzer's millions of rewrites stay in memory.
const std::filesystem::path& write_scratch(std::string_view tag, const uint8_t* data, size_t size);

// True when `text` holds a byte a terminal would act on (C0 controls other
// than '\n', DEL): error messages are printed raw on stderr.
bool has_terminal_control(std::string_view text);

}  // namespace sf::fuzz

#define FUZZ_CHECK(cond, detail)                                   \
    do {                                                           \
        if (!(cond)) ::sf::fuzz::violated(#cond, (detail));        \
    } while (0)
