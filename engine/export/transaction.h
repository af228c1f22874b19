// Stemforge — the delivery transaction: every file a command writes (audio,
// CUE sheets, manifests) is staged as a temporary file beside its target and
// moved into place together at the end, or not at all.
//
// Why one transaction per command: a render with a master block measures its
// exports after writing them, may write them again, patches metadata into
// them and writes CUE sheets beside them. If any step fails or the user
// cancels, no target may be created or changed; if all succeed, all targets
// change. Renames are atomic one by one (same folder, same file system), so
// commit() first links every existing target to a backup name, then renames
// the staged files over their targets, and on a failure part-way puts the
// backups back and removes the targets it had created.
//
// Thread: one thread at a time. Failure contract: after an error from
// commit(), every target is as it was before the transaction (created ones
// removed, replaced ones restored) as far as the file system allows; the
// message names the file.
#pragma once

#include <atomic>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/cancel.h"
#include "engine/core/error.h"

namespace sf {

// Refuses, before any work, an output that is (or links to, or is a hard
// link of) any input, and two outputs that are one file. `outputs` and
// `inputs` are paths as resolved by the session parser; `describe` names
// them in messages (e.g. "export[0] out/master.wav"). Errors:
// InvalidArgument naming both paths.
struct NamedPath {
    std::filesystem::path path;
    std::string role;  // "stems[2] \"kick\"", "export[0]", "the session file", ...
};
Result<void> check_outputs(std::span<const NamedPath> outputs, std::span<const NamedPath> inputs);


class DeliveryTransaction {
public:
    DeliveryTransaction() = default;
    DeliveryTransaction(const DeliveryTransaction&) = delete;
    DeliveryTransaction& operator=(const DeliveryTransaction&) = delete;
    ~DeliveryTransaction();  // without commit(): removes every staged file

    // Reserves a temporary path beside `target` (creating the target's
    // folder) and returns it; the caller writes the file there. Staging one
    // target twice is an error (two outputs with one path).
    Result<std::filesystem::path> stage(const std::filesystem::path& target);
    // Stages `target` with `text` as its content (CUE sheets, manifests).
    Result<void> stage_text(const std::filesystem::path& target, std::string_view text);

    // Moves every staged file over its target, all or nothing (see above).
    // Every staged file must exist. After success the transaction is empty.
    Result<void> commit();
    // Removes every staged file now (the destructor does the same).
    void abandon();

    const std::vector<std::filesystem::path>& targets() const { return targets_; }
    std::filesystem::path staged_path(const std::filesystem::path& target) const;  // empty if not staged

private:
    std::vector<std::filesystem::path> targets_;
    std::vector<std::filesystem::path> temps_;  // temps_[i] is targets_[i]'s staged file
};

}  // namespace sf
