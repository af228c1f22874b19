// Stemforge — fault injection, for tests (off unless its environment
// variables are set).
//
// The end-to-end fault tests (tests/e2e/fault_e2e_test.cpp) run the real
// binary with one fault set and check that it ends in one error line, the
// documented exit code, no temporary file left and every existing output
// byte-identical (docs/robustness.md holds the fault x stage matrix). The
// hooks sit where the real failure would surface, and the code after them is
// the code a real failure runs:
//
//   STEMFORGE_FAULT_IO=ERRNO:OP:GLOB[:SKIP]
//     The SKIP+1-th file operation OP on a file whose name (last path
//     component) matches the fnmatch(3) pattern GLOB fails with ERRNO, and so
//     does every later matching one (a full disk stays full). ERRNO: ENOSPC
//     (disk full), EROFS (read-only file system), EACCES, EIO, EDQUOT, EFBIG.
//     OP: `create` (a file is opened for writing), `write` (data is written
//     to it), `rename` (a finished file is moved into place; GLOB matches the
//     name it had or the name it gets). Temporary files carry their target's
//     name (".master.wav.stemforge-staged-…", ".stemforge-spool-…"), so a
//     pattern picks a stage of the render.
//   STEMFORGE_FAULT_ALLOC_KIB=N[:SKIP]
//     The SKIP+1-th allocation of a large buffer (an audio buffer, an FFT
//     array) of more than N KiB throws std::bad_alloc, as an exhausted heap
//     would, and so does every later one. Stepping SKIP through 0, 1, 2, ...
//     fails each large allocation of a command in turn.
//   STEMFORGE_FAULT_PAUSE=POINT and STEMFORGE_FAULT_PAUSE_FILE=PATH
//     At POINT the render creates PATH and waits until it is removed (60 s at
//     most), so a test can truncate, replace or delete an input mid-render.
//     POINT: `opened` (every stem is open; IRs are read after it) or
//     `block:K` (mix block K, counted from 0, has been written).
//
// The environment is read once per process. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <new>
#include <string_view>

namespace sf::fault {

enum class IoOp { Create, Write, Rename };

// 0, or the errno that this operation on `file` (for a rename: from `file`
// to `destination`) must fail with.
int io_error(IoOp op, const std::filesystem::path& file, const std::filesystem::path& destination = {});

// The STEMFORGE_FAULT_ALLOC_KIB limit in bytes (SIZE_MAX when unset).
size_t allocation_limit_bytes();
// Counts an allocation over the limit; throws std::bad_alloc once SKIP are past.
void allocation_over_limit();

// Throws std::bad_alloc when an allocation of `bytes` must fail.
inline void check_allocation(size_t bytes) {
    if (bytes > allocation_limit_bytes()) allocation_over_limit();
}

// Pauses here when STEMFORGE_FAULT_PAUSE names this point.
void pause_at(std::string_view point);
void pause_at_block(int64_t block_index);

}  // namespace sf::fault
